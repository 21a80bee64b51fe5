import type { Logger } from "../../core/logger.ts";
import type { Clock } from "./clock.ts";
import type { BackendSettings } from "./settings.ts";
import type { ModelBackendName } from "./spec.ts";
import type { ModelCapabilities, ModelClient } from "./types.ts";

/** What a backend's `create` receives: injected so every backend is testable without a network. */
export interface BackendDeps {
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
}

export interface ModelBackend {
  readonly name: ModelBackendName;
  /** What the protocol can carry (a given model may support less: its server then rejects the request). */
  readonly capabilities: ModelCapabilities;
  readonly defaultBaseUrl: string;
  create(model: string, settings: BackendSettings, deps: BackendDeps): ModelClient;
}

/** Declares a backend; returns its argument (type inference plus a cheap shape check). */
export function defineModelBackend(backend: ModelBackend): ModelBackend {
  if (!backend.capabilities.text) throw new Error(`model backend ${backend.name} must support text`);
  return backend;
}
