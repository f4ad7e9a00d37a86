// A desktop app started from the Dock or a launcher does not inherit the PATH a terminal has, so exec
// credential plugins (aws, gke-gcloud-auth-plugin, kubelogin) installed by Homebrew, asdf or a cloud SDK are
// not found. The user's login shell knows that PATH: ask it once, as VS Code does.
import { spawn } from 'node:child_process';
import path from 'node:path';

const START = '__HOPSCOPE_PATH_START__';
const END = '__HOPSCOPE_PATH_END__';

export interface LoginShellPathOptions {
  /** Default: $SHELL. */
  shell?: string;
  /** Default 3000 ms: a slow rc file must not hold up the app. */
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/**
 * The PATH of the user's interactive login shell (`$SHELL -ilc`), or undefined on Windows, without a
 * SHELL, when the shell fails or takes longer than the timeout. rc files may print anything: the PATH is
 * read between markers.
 */
export function resolveLoginShellPath(opts: LoginShellPathOptions = {}): Promise<string | undefined> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const shell = opts.shell ?? env.SHELL;
  if (platform === 'win32' || !shell) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let stdout = '';
    let settled = false;
    const finish = (value: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    // Its own process group (detached), so an interactive shell does not take our terminal and the timeout can kill all of it.
    const child = spawn(shell, ['-ilc', `printf '%s' '${START}'"$PATH"'${END}'`], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
      env: { ...env, HOPSCOPE_RESOLVING_ENVIRONMENT: '1' },
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      finish(undefined);
    }, opts.timeoutMs ?? 3000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', () => finish(undefined));
    child.on('close', () => {
      const found = new RegExp(`${START}(.*?)${END}`, 's').exec(stdout);
      finish(found && found[1].trim() ? found[1].trim() : undefined);
    });
  });
}

let cached: Promise<string | undefined> | undefined;

/** resolveLoginShellPath, asked once per process. */
export function loginShellPath(): Promise<string | undefined> {
  cached ??= resolveLoginShellPath();
  return cached;
}

/** The PATH exec plugins are looked up on: the login shell's entries first, then this process's, without repeats. */
export function execSearchPath(loginPath: string | undefined, processPath: string | undefined = process.env.PATH, delimiter = path.delimiter): string {
  const entries = [...(loginPath ?? '').split(delimiter), ...(processPath ?? '').split(delimiter)].filter(Boolean);
  return [...new Set(entries)].join(delimiter);
}
