/** In-memory ports for config tests: only what loadConfig touches (lstat, readTextFile, env, system). */
import type { Env, FileInfo, FileSystem, SystemInfo } from "../../../core/deps.ts";

export function memoryFs(files: Record<string, string>): FileSystem {
  const info = (path: string): FileInfo | null =>
    path in files
      ? {
        isFile: true,
        isDirectory: false,
        isSymlink: false,
        size: files[path].length,
        mode: 0o600,
        mtimeMs: 0,
        uid: 1000,
      }
      : null;
  const unused = () => Promise.reject(new Error("not used by config loading"));
  return {
    readTextFile: (path) =>
      path in files ? Promise.resolve(files[path]) : Promise.reject(new Deno.errors.NotFound(path)),
    lstat: (path) => Promise.resolve(info(path)),
    readFile: unused,
    writeTextFile: unused,
    writeFile: unused,
    mkdir: unused,
    remove: unused,
    readDir: unused,
    readLink: unused,
    chmod: unused,
    cwd: () => "/repo",
    makeTempDir: unused,
  };
}

export function memoryEnv(vars: Record<string, string>): Env {
  return { get: (name) => vars[name], all: () => ({ ...vars }) };
}

export const system: SystemInfo = {
  user: () => "alice",
  hostname: () => "laptop.example.org",
  uid: () => 1000,
  tmpDir: () => "/tmp",
  homeDir: () => "/home/alice",
  pid: () => 42,
  processAlive: () => false,
  runtime: () => ({ deno: "2.9.6", target: "x86_64-unknown-linux-gnu" }),
};

export const USER_FILE = "/home/alice/.config/crabbox/config.yaml";
export const REPO_FILE = "/repo/.crabbox.yaml";
