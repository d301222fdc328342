/** HetznerApiError rendering, exit-code mapping and the SPEC §5.2 classification of create failures. */
import assert from "node:assert/strict";
import { asCrabboxError } from "../../core/errors.ts";
import {
  HetznerApiError,
  type HetznerErrorFields,
  isCapacityError,
  isQuotaError,
  isServerCountQuota,
} from "../../providers/hetzner/errors.ts";

function apiError(fields: Partial<HetznerErrorFields>): HetznerApiError {
  return new HetznerApiError({
    method: "POST",
    path: "/servers",
    status: 403,
    code: "resource_limit_exceeded",
    message: "project limit exceeded",
    details: null,
    correlationId: null,
    retryAfterMs: null,
    ...fields,
  });
}

Deno.test("rendering: method, path, status, code, message and correlation id", () => {
  const error = apiError({ correlationId: "9f2c4e1a" });
  assert.equal(
    error.message,
    "hetzner POST /servers: 403 resource_limit_exceeded: project limit exceeded (correlation 9f2c4e1a)",
  );
  assert.equal(error.apiMessage, "project limit exceeded");
  assert.equal(
    apiError({
      method: "GET",
      path: "/servers/7",
      status: 0,
      code: "network_error",
      message: "connection refused",
    })
      .message,
    "hetzner GET /servers/7: network_error: connection refused",
  );
  const copy = error.with({ message: "rate limited by Hetzner", status: 429, code: "rate_limit_exceeded" });
  assert.equal(copy.correlationId, "9f2c4e1a");
  assert.equal(copy.apiMessage, "rate limited by Hetzner");
});

Deno.test("exit codes: auth 3, not found 4, everything else 8", () => {
  const cases: [number, string, number, RegExp][] = [
    [401, "unauthorized", 3, /read\/write token of the right project/],
    [401, "token_readonly", 3, /HCLOUD_TOKEN/],
    [403, "forbidden", 3, /HCLOUD_TOKEN/],
    [403, "unauthorized", 3, /HCLOUD_TOKEN/],
    [403, "resource_limit_exceeded", 8, /./],
    [403, "maintenance", 8, /./],
    [404, "not_found", 4, /crabbox list/],
    [412, "resource_unavailable", 8, /./],
    [422, "invalid_input", 8, /./],
    [429, "rate_limit_exceeded", 8, /3600 requests per hour/],
    [500, "server_error", 8, /correlation id/],
    [502, "bad_response", 8, /./],
    [0, "network_error", 8, /HCLOUD_ENDPOINT/],
    [0, "timeout", 8, /network/],
  ];
  for (const [status, code, exitCode, hint] of cases) {
    const error = apiError({ status, code });
    const rendered = asCrabboxError(error);
    assert.equal(rendered.exitCode, exitCode, `${status} ${code}`);
    assert.match(rendered.hint ?? "", hint, `${status} ${code}`);
    assert.equal(rendered.message, error.message);
    assert.equal(rendered.cause, error);
  }
});

Deno.test("ambiguity: no answer, 5xx, or an unreadable 2xx", () => {
  const cases: [number, string, boolean][] = [
    [0, "network_error", true],
    [0, "timeout", true],
    [500, "server_error", true],
    [504, "timeout", true],
    [201, "bad_response", true],
    [400, "bad_response", false],
    [409, "uniqueness_error", false],
    [412, "resource_unavailable", false],
    [429, "rate_limit_exceeded", false],
  ];
  for (const [status, code, ambiguous] of cases) {
    assert.equal(apiError({ status, code }).ambiguous, ambiguous, `${status} ${code}`);
  }
});

Deno.test("create failure classes of SPEC §5.2", () => {
  type Class = "capacity" | "quota" | "server-count" | "fatal";
  const cases: [Partial<HetznerErrorFields>, Class][] = [
    [{ status: 412, code: "resource_unavailable", message: "server location disabled" }, "capacity"],
    [{ status: 412, code: "resource_unavailable", message: "error during placement" }, "capacity"],
    [{ status: 422, code: "placement_error", message: "error during placement" }, "capacity"],
    [{ status: 412, code: "no_space_left_in_location", message: "no space" }, "capacity"],
    [
      { status: 403, code: "maintenance", message: "Cannot perform operation due to maintenance" },
      "capacity",
    ],
    [{ status: 422, code: "invalid_input", message: "location_not_available for ccx63" }, "capacity"],
    [{
      status: 422,
      code: "invalid_input",
      message: "invalid input",
      details: { fields: [{ name: "server_type", messages: ["server_type_not_available"] }] },
    }, "capacity"],
    [{ code: "resource_limit_exceeded", message: "dedicated core limit exceeded" }, "quota"],
    [{
      code: "resource_limit_exceeded",
      message: "limit exceeded",
      details: { limits: [{ name: "dedicated_core_limit" }] },
    }, "quota"],
    [{ code: "resource_limit_exceeded", message: "Primary IP limit exceeded" }, "quota"],
    [{
      code: "resource_limit_exceeded",
      message: "server limit exceeded",
      details: { limits: [{ name: "server" }] },
    }, "server-count"],
    [{ code: "resource_limit_exceeded", message: "server limit exceeded" }, "server-count"],
    [{
      code: "resource_limit_exceeded",
      message: "project limit exceeded",
      details: { limits: [{ name: "project_limit" }] },
    }, "server-count"],
    [
      { code: "resource_limit_exceeded", message: "limit", details: { limits: [{ name: "server_limit" }] } },
      "server-count",
    ],
    [{ status: 422, code: "invalid_input", message: "unsupported location for server type" }, "fatal"],
    [{ status: 401, code: "unauthorized", message: "unable to authenticate" }, "fatal"],
    [{ status: 503, code: "unavailable", message: "down" }, "fatal"],
  ];
  for (const [fields, expected] of cases) {
    const error = apiError(fields);
    const actual: Class = isServerCountQuota(error)
      ? "server-count"
      : isQuotaError(error)
      ? "quota"
      : isCapacityError(error)
      ? "capacity"
      : "fatal";
    assert.equal(actual, expected, JSON.stringify(fields));
    assert.ok(!(isQuotaError(error) && isServerCountQuota(error)));
  }
});
