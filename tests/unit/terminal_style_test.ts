/** The one decision of how to draw: colour per stream and the spinner, from (isTTY, env, flags). */
import assert from "node:assert/strict";
import {
  checkTone,
  decideStyle,
  paint,
  stateTone,
  styleEnv,
  type StyleInputs,
} from "../../core/terminal_style.ts";

const FLAGS = { color: true, quiet: false, json: false };

type Row = [
  name: string,
  tty: { stdout: boolean; stderr: boolean },
  env: StyleInputs["env"],
  flags: Partial<StyleInputs["flags"]>,
  expected: { colorStdout: boolean; colorStderr: boolean; spinner: boolean },
];

const BOTH = { stdout: true, stderr: true };
const PIPED = { stdout: false, stderr: false };
const ERR_ONLY = { stdout: false, stderr: true };

const ROWS: Row[] = [
  ["a terminal: colour and spinner", BOTH, {}, {}, { colorStdout: true, colorStderr: true, spinner: true }],
  ["piped: plain, as always", PIPED, {}, {}, { colorStdout: false, colorStderr: false, spinner: false }],
  ["stdout piped, stderr a terminal", ERR_ONLY, {}, {}, {
    colorStdout: false,
    colorStderr: true,
    spinner: true,
  }],
  ["NO_COLOR=1: no colour, still a spinner", BOTH, { NO_COLOR: "1" }, {}, {
    colorStdout: false,
    colorStderr: false,
    spinner: true,
  }],
  ["NO_COLOR empty is unset (no-color.org)", BOTH, { NO_COLOR: "" }, {}, {
    colorStdout: true,
    colorStderr: true,
    spinner: true,
  }],
  ["--no-color", BOTH, {}, { color: false }, { colorStdout: false, colorStderr: false, spinner: true }],
  ["FORCE_COLOR=1 colours a pipe, never spins it", PIPED, { FORCE_COLOR: "1" }, {}, {
    colorStdout: true,
    colorStderr: true,
    spinner: false,
  }],
  ["FORCE_COLOR empty forces too (as Node reads it)", PIPED, { FORCE_COLOR: "" }, {}, {
    colorStdout: true,
    colorStderr: true,
    spinner: false,
  }],
  ["FORCE_COLOR=0 turns a terminal's colour off", BOTH, { FORCE_COLOR: "0" }, {}, {
    colorStdout: false,
    colorStderr: false,
    spinner: true,
  }],
  ["FORCE_COLOR=false likewise", BOTH, { FORCE_COLOR: "false" }, {}, {
    colorStdout: false,
    colorStderr: false,
    spinner: true,
  }],
  ["NO_COLOR beats FORCE_COLOR: off always wins", PIPED, { FORCE_COLOR: "1", NO_COLOR: "1" }, {}, {
    colorStdout: false,
    colorStderr: false,
    spinner: false,
  }],
  ["--no-color beats FORCE_COLOR", PIPED, { FORCE_COLOR: "3" }, { color: false }, {
    colorStdout: false,
    colorStderr: false,
    spinner: false,
  }],
  ["--json: never colour, never spin", BOTH, { FORCE_COLOR: "1" }, { json: true }, {
    colorStdout: false,
    colorStderr: false,
    spinner: false,
  }],
  ["--quiet: no spinner, colour stays", BOTH, {}, { quiet: true }, {
    colorStdout: true,
    colorStderr: true,
    spinner: false,
  }],
  ["CI=true: no spinner even on a pty", BOTH, { CI: "true" }, {}, {
    colorStdout: true,
    colorStderr: true,
    spinner: false,
  }],
  ["CI=0 is not CI", BOTH, { CI: "0" }, {}, { colorStdout: true, colorStderr: true, spinner: true }],
  ["TERM=dumb: neither", BOTH, { TERM: "dumb" }, {}, {
    colorStdout: false,
    colorStderr: false,
    spinner: false,
  }],
  ["TERM=dumb with FORCE_COLOR: colour, no spinner", BOTH, { TERM: "dumb", FORCE_COLOR: "1" }, {}, {
    colorStdout: true,
    colorStderr: true,
    spinner: false,
  }],
];

Deno.test("decideStyle: colour per stream and the spinner, row by row", () => {
  for (const [name, tty, env, flags, expected] of ROWS) {
    const decision = decideStyle({
      stdoutIsTTY: tty.stdout,
      stderrIsTTY: tty.stderr,
      env,
      flags: { ...FLAGS, ...flags },
    });
    assert.deepEqual(
      { colorStdout: decision.colorStdout, colorStderr: decision.colorStderr, spinner: decision.spinner },
      expected,
      name,
    );
  }
});

Deno.test("decideStyle: braille frames only in a UTF-8 locale, LC_ALL first", () => {
  const unicode = (env: StyleInputs["env"]) =>
    decideStyle({ stdoutIsTTY: true, stderrIsTTY: true, env, flags: FLAGS }).unicode;
  assert.equal(unicode({ LANG: "en_US.UTF-8" }), true);
  assert.equal(unicode({ LANG: "C.utf8" }), true);
  assert.equal(unicode({}), false);
  assert.equal(unicode({ LC_ALL: "C", LANG: "en_US.UTF-8" }), false);
  assert.equal(unicode({ LC_CTYPE: "de_DE.UTF-8", LANG: "C" }), true);
});

Deno.test("styleEnv reads only the variables the decision needs", () => {
  const env: Record<string, string> = { NO_COLOR: "1", HCLOUD_TOKEN: "secret", TERM: "xterm", CI: "" };
  assert.deepEqual(styleEnv((name) => env[name]), { NO_COLOR: "1", TERM: "xterm", CI: "" });
});

Deno.test("paint wraps the word in SGR codes only when enabled; states and checks have tones", () => {
  assert.equal(paint("ok", "ready", true), "\x1b[32mready\x1b[39m");
  assert.equal(paint("error", "error:", true), "\x1b[31merror:\x1b[39m");
  assert.equal(paint("muted", "skip", true), "\x1b[2mskip\x1b[22m");
  assert.equal(paint("ok", "ready", false), "ready");
  assert.equal(paint("ok", "", true), "");
  assert.equal(stateTone("ready"), "ok");
  assert.equal(stateTone("running"), "active");
  assert.equal(stateTone("provisioning"), "warning");
  assert.equal(stateTone("failed"), "error");
  assert.equal(stateTone("-"), null);
  assert.equal(checkTone("fail"), "error");
  assert.equal(checkTone("warn"), "warning");
  assert.equal(checkTone("ok"), "ok");
});
