import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** tsx (which runs the CLI's TypeScript) keeps its compile cache in the temp directory: not the API's doing. */
const TSX_CACHE = /^tsx-\d+$/;

/** Every file under `dir` and its size: what an API left behind in its temp directory. */
export async function filesLeft(dir: string): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = [];
  let bytes = 0;
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true }).catch(() => [])) {
      if (at === dir && TSX_CACHE.test(entry.name)) continue;
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) {
        files.push(`${full}/`);
        await walk(full);
      } else {
        files.push(full);
        bytes += (await stat(full).catch(() => ({ size: 0 }))).size;
      }
    }
  };
  await walk(dir);
  return { files, bytes };
}
