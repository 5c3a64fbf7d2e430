import { ConflictError, NotFoundError, ValidationError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import { DEFAULT_SCORE_SETTINGS } from '../scores/formula';
import { settingsDecider } from '../scores/settings';
import { memoryDecider } from './decider';

const memory = deciderSpec(memoryDecider);
const content = { title: 'Canary first', body: 'Roll out to [[Canary hosts]] first, see [[Runbook#deploy|the runbook]].', type: 'lesson', tags: ['deploy'] };
const saved = {
  type: 'memory_saved' as const,
  data: {
    memory_id: 'm1', agent_id: 'eric', shared: false, title: content.title, body: content.body, type: 'lesson', tags: ['deploy'],
    links: ['Canary hosts', 'Runbook'],
  },
};

describe('memory decisions', () => {
  it('save a new memory with the titles its wiki-links name', () => {
    memory.when({ kind: 'save', memoryId: 'm1', agentId: 'eric', content }).then([saved]).thenResult('created');
  });

  it('mark the shared vault', () => {
    memory.when({ kind: 'save', memoryId: 'm2', agentId: 'shared', content: { ...content, body: 'x' } })
      .thenMatch([{ type: 'memory_saved', data: { agent_id: 'shared', shared: true, links: [] } }]);
  });

  it('save nothing when the same content is saved again (an import run twice saves each memory once)', () => {
    memory.given([saved]).when({ kind: 'save', memoryId: 'm1', agentId: 'eric', content }).then([]).thenResult('unchanged');
  });

  it('turn a save of other content into an update', () => {
    memory.given([saved]).when({ kind: 'save', memoryId: 'm1', agentId: 'eric', content: { ...content, body: 'New.' } })
      .thenMatch([{ type: 'memory_updated', data: { body: 'New.', links: [] } }]).thenResult('updated');
  });

  it('refuse to move a memory to another vault', () => {
    memory.given([saved]).when({ kind: 'save', memoryId: 'm1', agentId: 'finn', content }).thenThrows(ConflictError);
    memory.given([saved]).when({ kind: 'update', memoryId: 'm1', agentId: 'finn', patch: { title: 'x' } }).thenThrows(NotFoundError);
  });

  it('update only what changes, and nothing when nothing does', () => {
    memory.given([saved]).when({ kind: 'update', memoryId: 'm1', agentId: 'eric', patch: { tags: ['ops'] } })
      .thenMatch([{ type: 'memory_updated', data: { title: 'Canary first', tags: ['ops'] } }]);
    memory.given([saved]).when({ kind: 'update', memoryId: 'm1', agentId: 'eric', patch: { title: content.title } }).then([]);
  });

  it('delete once; a deleted memory is not found, and saving it again brings it back', () => {
    const deleted = { type: 'memory_deleted' as const, data: { memory_id: 'm1', agent_id: 'eric', shared: false } };
    memory.given([saved]).when({ kind: 'delete', memoryId: 'm1', agentId: 'eric' }).then([deleted]);
    memory.given([saved, deleted]).when({ kind: 'delete', memoryId: 'm1', agentId: 'eric' }).thenThrows(NotFoundError);
    memory.given([saved, deleted]).when({ kind: 'update', memoryId: 'm1', agentId: 'eric', patch: { title: 'x' } }).thenThrows('not_found');
    memory.given([saved, deleted]).when({ kind: 'save', memoryId: 'm1', agentId: 'eric', content }).then([saved]);
  });
});

describe('score settings decisions', () => {
  const settings = deciderSpec(settingsDecider);
  it('change the fields given and keep the others', () => {
    settings.when({ kind: 'update', patch: { recency_half_life_days: 7 } })
      .then([{ type: 'memory_score_settings_updated', data: { settings: { ...DEFAULT_SCORE_SETTINGS, recency_half_life_days: 7 }, reset: false } }]);
  });
  it('refuse weights that add up to more than 1', () => {
    settings.when({ kind: 'update', patch: { weight_usefulness: 0.9 } }).thenThrows(ValidationError);
  });
  it('reset to the defaults, and record nothing when they are already in force', () => {
    const changed = { type: 'memory_score_settings_updated' as const, data: { settings: { ...DEFAULT_SCORE_SETTINGS, score_floor: 0.1 }, reset: false } };
    settings.given([changed]).when({ kind: 'reset' }).then([{ type: 'memory_score_settings_updated', data: { settings: DEFAULT_SCORE_SETTINGS, reset: true } }]);
    settings.when({ kind: 'reset' }).then([]);
  });
});
