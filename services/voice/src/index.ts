import { startDefinedService } from '@cadre/kit';
import type { ServiceDeps } from '@cadre/runtime';
import type { VoiceConfig } from './config';
import { voiceService } from './service';

export { loadVoiceConfig, voiceConfigShape, type VoiceConfig } from './config';
export { voiceService } from './service';
export { formatForChannel, encodeWav, toSpeechWav, MIME_TYPES } from './audio/encode';
export { audioDurationMs, sniffType } from './audio/probe';
export { espeakEngine, fliteEngine } from './engines/local';
export { runBinary, DEBIAN_PACKAGES } from './engines/binaries';

/** Starts the voice service with a parsed config (tests and benches). */
export function startVoice(deps: ServiceDeps, config: VoiceConfig, options: { clock?: () => Date; newId?: () => string } = {}) {
  return startDefinedService(voiceService, deps, { config, ...options });
}
