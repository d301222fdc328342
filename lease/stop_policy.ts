/** The stop policy a run ends under, from the configured or given one and the keep flags (SPEC §11.3). */
import type { StopPolicy } from "../config/schema.ts";
import { keepOnFailure } from "./run.ts";

interface StopPolicyRequest {
  /** --stop, else the job's or the default policy. */
  policy: StopPolicy;
  /** --keep: the box stays whatever happens. */
  keep?: boolean;
  keepOnFailure?: boolean;
  /** The run works on a box it did not create (--id, a pool). */
  existingBox: boolean;
}

export function effectiveStopPolicy(request: StopPolicyRequest): StopPolicy {
  if (request.keep) return "never";
  return request.keepOnFailure ? keepOnFailure(request.policy, request.existingBox) : request.policy;
}
