/**
 * Test helpers: a scripted HTTP server that plays the far end of a model API over a real
 * socket, and builders of OpenAI and Anthropic streamed answers. Point a provider's base URL
 * at `server.url` (plus `/v1` for OpenAI-compatible clients).
 */
export {
  startScriptedServer,
  type RecordedRequest, type ScriptedHandler, type ScriptedResponse, type ScriptedServer, type SseFrame, type StreamEnding,
} from './scripted-server';
export { openAiError, openAiStream, splitText, type OpenAiScript } from './openai-script';
export { anthropicError, anthropicStream, type AnthropicScript } from './anthropic-script';
