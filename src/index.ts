/**
 * Library entry: embed the engine in another Node process, or drive it from tests with injected
 * parts (Altegio base URL, clock, paths).
 */

export type { Settings } from './domain/settings.js';
export {
  createEngine,
  type Engine,
  type EngineErrorContext,
  type EngineErrorHandler,
  type EngineInfo,
  type EngineOptions,
} from './engine.js';
