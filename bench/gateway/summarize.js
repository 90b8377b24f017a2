// Turns bench/gateway/run.sh's JSON lines into summary.md: min and median of the clean runs per target, mode and concurrency.
//   node summarize.js OUT_DIR        (reads OUT_DIR/runs.jsonl and OUT_DIR/rss.jsonl)
//   ALL_RUNS=1 also counts noisy runs (a busy machine), which the table then says; failed runs never count.
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const lines = (file) => {
  const p = path.join(dir, file);
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};
const all = process.env.ALL_RUNS === '1';
const runs = lines('runs.jsonl').filter((r) => r.clean || (all && r.errors === 0 && r.non2xx === 0));
const rss = lines('rss.jsonl');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const min = (xs) => Math.min(...xs);
const cells = new Map();
for (const r of runs) {
  const key = `${r.target}|${r.mode}|${r.c}`;
  if (!cells.has(key)) cells.set(key, []);
  cells.get(key).push(r);
}
const stat = (rs, f) => ({ min: min(rs.map(f)), med: median(rs.map(f)) });
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const out = [];
out.push(`# Gateway bench, ${path.basename(dir)}`, '');
out.push(`${all ? 'All runs, noisy ones included' : 'Clean runs only'}; "min / median". CPU is the process under test (the gateway; for direct: nginx).`, '');
out.push('| target | mode | c | runs | CPU µs/req | req/s | p50 µs | p99 µs | added p50 µs | added p99 µs | wrk CPU µs/req | nginx CPU µs/req | foreign CPU % |');
out.push('|---|---|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|');
for (const mode of ['json', 'stream']) {
  for (const c of [...new Set(runs.map((r) => r.c))].sort((a, b) => a - b)) {
    const direct = cells.get(`direct|${mode}|${c}`) || [];
    for (const target of ['direct', 'majordomo', 'portkey']) {
      const rs = cells.get(`${target}|${mode}|${c}`);
      if (!rs) continue;
      const cpu = stat(rs, (r) => (target === 'direct' ? r.nginx_us_per_req : r.gw_us_per_req));
      const rps = stat(rs, (r) => r.rps);
      const p50 = stat(rs, (r) => r.p50_us);
      const p99 = stat(rs, (r) => r.p99_us);
      const dp50 = direct.length && target !== 'direct' ? p50.med - median(direct.map((r) => r.p50_us)) : NaN;
      const dp99 = direct.length && target !== 'direct' ? p99.med - median(direct.map((r) => r.p99_us)) : NaN;
      out.push(`| ${target} | ${mode} | ${c} | ${rs.length} | ${fmt(cpu.min)} / ${fmt(cpu.med)} | ${fmt(rps.min, 0)} / ${fmt(rps.med, 0)} `
        + `| ${fmt(p50.min, 0)} / ${fmt(p50.med, 0)} | ${fmt(p99.min, 0)} / ${fmt(p99.med, 0)} | ${fmt(dp50, 0)} | ${fmt(dp99, 0)} `
        + `| ${fmt(median(rs.map((r) => r.wrk_us_per_req)))} | ${fmt(median(rs.map((r) => r.nginx_us_per_req)))} `
        + `| ${fmt(median(rs.map((r) => r.foreign_cpu_pct)), 0)} |`);
    }
  }
}
out.push('', '| target | mode | VmRSS MB after the runs | VmHWM MB |', '|---|---|---:|---:|');
for (const r of rss) out.push(`| ${r.target} | ${r.mode} | ${fmt(r.rss_kb / 1024)} | ${fmt(r.hwm_kb / 1024)} |`);
const left = lines('runs.jsonl').length - runs.length;
out.push('', `${runs.length} runs counted, ${left} left out (noisy or failed).`);
fs.writeFileSync(path.join(dir, 'summary.md'), out.join('\n') + '\n');
console.log(out.join('\n'));
