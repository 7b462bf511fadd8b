/**
 * `npm run fuzz`: the model-file fuzzer at nightly size. FUZZ_CASES (default 100 000) and FUZZ_SEED
 * choose the run; prints progress, the outcome counts and every defect (exit 1 when there is one).
 */
import { fuzzModelFiles } from './model-files';

async function main(): Promise<number> {
  const cases = Number(process.env.FUZZ_CASES ?? 100_000);
  const seed = Number(process.env.FUZZ_SEED ?? 20261207);
  const r = await fuzzModelFiles({
    cases,
    seed,
    onProgress: (done, rep) => process.stderr.write(`${done}/${cases} cases, ${rep.defects.length} defects, ${(performance.now() / 1000).toFixed(0)} s\n`),
  });
  const { defects, ...rest } = r;
  process.stdout.write(JSON.stringify({ ...rest, defects: defects.length }, null, 1) + '\n');
  for (const d of defects) process.stdout.write(`DEFECT case ${d.case} [${d.kind}] ${d.mutation}: ${d.problem}\n`);
  return defects.length ? 1 : 0;
}

main().then((c) => (process.exitCode = c), (e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
  process.exitCode = 2;
});
