/**
 * @module store/git-labels
 * The git checkout a test lives in (commit, branch, dirty), for the run
 * history. Never throws and never waits past its timeout: outside a checkout,
 * without git, or with a hung git it answers undefined.
 */
import { execFile } from 'node:child_process';
import type { GitLabels } from './history-model.js';

function git(args: string[], cwd: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      execFile('git', args, { cwd, timeout: timeoutMs, windowsHide: true }, (err, stdout) =>
        resolve(err ? undefined : stdout.trim()),
      );
    } catch {
      resolve(undefined);
    }
  });
}

/** `git rev-parse` and `git status` in `dir`, each bounded by `timeoutMs`. */
export async function gitLabels(dir: string, timeoutMs = 2000): Promise<GitLabels | undefined> {
  const [head, status] = await Promise.all([
    git(['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD'], dir, timeoutMs),
    git(['status', '--porcelain', '--untracked-files=no'], dir, timeoutMs),
  ]);
  const [commit, branch] = head?.split('\n') ?? [];
  if (commit === undefined || !/^[0-9a-f]{7,64}$/.test(commit) || status === undefined) return undefined;
  const labels: GitLabels = { commit, dirty: status !== '' };
  if (branch !== undefined && branch !== '' && branch !== 'HEAD') labels.branch = branch;
  return labels;
}
