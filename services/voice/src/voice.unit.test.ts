import { ConflictError, ValidationError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import { formatForChannel } from './audio/encode';
import { safeFilename } from './attachments/attachments';
import { attachmentDecider } from './attachments/decider';
import { redact } from './engines/http';
import { parseEspeakVoices, parseFliteVoices } from './engines/local';
import { pageVoices } from './engines/types';
import { agentSettingsDecider, globalSettingsDecider } from './settings/deciders';
import { answerOf } from './speech/run-speech';

describe('global TTS settings decisions', () => {
  const settings = deciderSpec(globalSettingsDecider);

  it('record the fields a change sets, and fold provider settings field by field', () => {
    const first = settings.when({ patch: { tts_enabled: false, providers: { 'fish-audio': { base_url: 'http://fish', api_key_masked: 'fa-…abcd' } } } })
      .then([{ type: 'tts_settings_updated', data: { tts_enabled: false, providers: { 'fish-audio': { base_url: 'http://fish', api_key_masked: 'fa-…abcd' } } } }]);
    settings.given(first.events).when({ patch: { character_threshold: 50, providers: { 'fish-audio': { model: 's1' } } } })
      .thenState({ tts_enabled: false, character_threshold: 50, providers: { 'fish-audio': { base_url: 'http://fish', api_key_masked: 'fa-…abcd', model: 's1' } }, updated_at: null });
  });

  it('refuse a change that changes nothing', () => {
    settings.when({ patch: {} }).thenThrows(ValidationError);
    settings.when({ patch: { tts_enabled: undefined } }).thenThrows('validation_failed');
  });
});

describe('agent TTS settings decisions', () => {
  const agent = deciderSpec(agentSettingsDecider);

  it('record a change for the agent and keep earlier fields', () => {
    const first = agent.when({ patch: { agent_id: 'narrator', tts_provider: 'flite', tts_voice_id: 'slt' } })
      .then([{ type: 'agent_tts_settings_updated', data: { agent_id: 'narrator', tts_provider: 'flite', tts_voice_id: 'slt' } }]);
    agent.given(first.events).when({ patch: { agent_id: 'narrator', tts_voice_id: null } })
      .thenState({ tts_provider: 'flite', tts_voice_id: null, updated_at: null });
  });

  it('refuse a change with no setting', () => {
    agent.when({ patch: { agent_id: 'narrator' } }).thenThrows(ValidationError);
  });
});

describe('attachment decisions', () => {
  const data = { attachment_id: 'a1', bucket: 'attachments', blob: 'upload/x', filename: 'x.txt', content_type: 'text/plain', size_bytes: 3, sha256: 'abc', source: 'upload' as const };

  it('store an attachment once; a second store of the id is a conflict', () => {
    const stored = deciderSpec(attachmentDecider).when({ data }).then([{ type: 'attachment_stored', data }]);
    deciderSpec(attachmentDecider).given(stored.events).when({ data }).thenThrows(ConflictError);
  });
});

describe('voice helpers', () => {
  it('picks Ogg Opus for chat apps and mp3 elsewhere', () => {
    expect(['telegram', 'WhatsApp', 'discord'].map(formatForChannel)).toEqual(['ogg_opus', 'ogg_opus', 'ogg_opus']);
    expect(['dashboard', 'slack', 'signal', 'api'].map(formatForChannel)).toEqual(['mp3', 'mp3', 'mp3', 'mp3']);
  });

  it('cuts the configured keys and anything shaped like a credential out of upstream text', () => {
    const text = redact('bad key fa-secret-key-0123 (Authorization: Bearer abcdefgh12345678, also sk-proj-ABCDEFGH1234)', ['fa-secret-key-0123']);
    expect(text).not.toMatch(/fa-secret|abcdefgh1234|ABCDEFGH1234/);
    expect(text).toContain('[redacted]');
  });

  it('keeps a safe base name for downloads', () => {
    expect(safeFilename('../../etc/passwd', 'x')).toBe('passwd');
    expect(safeFilename('C:\\Users\\me\\a"b.wav', 'x')).toBe('ab.wav');
    expect(safeFilename('..', 'fallback.bin')).toBe('fallback.bin');
    expect(safeFilename(undefined, 'fallback.bin')).toBe('fallback.bin');
  });

  it('reads the voice lists of espeak-ng and flite, and filters and pages them', () => {
    const espeak = parseEspeakVoices(`Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  de              --/M      German             gmw/de
 5  en-us           --/F      English_(America)  gmw/en-US            (en 2)`);
    expect(espeak).toEqual([
      { id: 'de', name: 'German', provider: 'espeak-ng', languages: ['de'], tags: ['male', 'gmw'], description: null },
      { id: 'en-us', name: 'English (America)', provider: 'espeak-ng', languages: ['en-us'], tags: ['female', 'gmw'], description: null },
    ]);
    const flite = parseFliteVoices('Voices available: kal awb_time kal16 awb rms slt \n');
    expect(flite.map((v) => v.id)).toEqual(['kal', 'awb_time', 'kal16', 'awb', 'rms', 'slt']);
    expect(pageVoices(espeak, { language: 'en', page: 1, pageSize: 10 }).voices.map((v) => v.id)).toEqual(['en-us']);
    expect(pageVoices(flite, { search: 'kal', page: 2, pageSize: 1 })).toMatchObject({ total: 2, voices: [{ id: 'kal16' }] });
  });

  it('speaks a step\'s text outputs, one paragraph each', () => {
    expect(answerOf({ summary: 'Done.', count: 3, notes: ' Two fixes. ', empty: '' })).toBe('Done.\n\nTwo fixes.');
    expect(answerOf(undefined)).toBe('');
  });
});
