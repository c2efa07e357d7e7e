// DuckDB as the independent Parquet implementation the capsfusion reader and
// writer are checked against (tests/parquet_duckdb_test.cc runs this).
//
//   node duckdb_parquet.mjs write-cases DIR   DuckDB writes DIR/<case>.parquet for every
//                                            combination of compression, dictionary,
//                                            page version, nulls and row-group size, plus
//                                            DIR/<case>.expected.jsonl (the rows as DuckDB
//                                            reads them) and DIR/cases.json (case list with
//                                            the encodings each file uses).
//   node duckdb_parquet.mjs read FILE OUT      DuckDB reads FILE and writes its rows to OUT as JSONL.
//   node duckdb_parquet.mjs read-all DIR       The same for every DIR/*.parquet, into DIR/*.duckdb.jsonl
//                                            (or DIR/*.duckdb.error with DuckDB's message).
//   node duckdb_parquet.mjs stats FILE OUT     Writes the footer statistics DuckDB sees, as JSON.
//   node duckdb_parquet.mjs bench FILE         Times DuckDB reading FILE (all columns), prints seconds.
import { DuckDBInstance } from '@duckdb/node-api';
import { readdirSync, writeFileSync } from 'node:fs';

const sqlString = (s) => "'" + s.replaceAll("'", "''") + "'";

async function connect() {
  const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
  return inst.connect();
}

// The test table: every supported type, low- and high-cardinality columns
// (so dictionaries are and are not chosen), awkward strings, optional nulls.
function tableSql(rows, nulls) {
  const opt = (cond, expr, type) => (nulls ? `CASE WHEN ${cond} THEN NULL ELSE ${expr} END::${type}` : `(${expr})::${type}`);
  return `CREATE OR REPLACE TABLE t AS SELECT
    i::INTEGER AS id32,
    ((i * 7919) - 5000000)::BIGINT * 1000003 AS big,
    (i % 7)::INTEGER AS small_int,
    CASE i % 6 WHEN 0 THEN 'a cat on a mat' WHEN 1 THEN 'café "quoted" \\ back\\slash'
      WHEN 2 THEN '' WHEN 3 THEN 'tab' || chr(9) || 'newline' || chr(10) || 'end'
      WHEN 4 THEN '日本語のキャプション 🐱' ELSE 'ctl' || chr(1) || chr(31) || '/' END AS caption,
    'row ' || i || ' ' || repeat('xy', (i % 23)::INTEGER) || ' ✓' AS text,
    (i / 7.0)::DOUBLE AS d,
    ((i % 1000) / 3.0 - 100)::FLOAT AS f,
    (i % 3 = 0) AS flag,
    ((i % 2000) / 8.0)::DECIMAL(12, 3) AS dec,
    ${opt('i % 4 = 0', "'maybe ' || (i % 40)", 'VARCHAR')} AS opt_s,
    ${opt('i % 3 = 1', 'i * 2 - 77', 'BIGINT')} AS opt_i,
    ${opt('i % 5 = 2', 'i / 4.0', 'DOUBLE')} AS opt_d,
    ${opt('i % 6 = 5', 'i % 2 = 0', 'BOOLEAN')} AS opt_b,
    ${opt('i % 7 = 3', "'u' || i", 'VARCHAR')} AS opt_u,
    ${nulls ? 'NULL::VARCHAR' : "'never null'"} AS all_null
  FROM range(${rows}) r(i) ORDER BY i`;
}

async function writeCases(dir) {
  const c = await connect();
  const cases = [];
  const rows = 3000;
  for (const nulls of [false, true]) {
    await c.run(tableSql(rows, nulls));
    for (const compression of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw']) {
      for (const dictionary of [true, false]) {
        for (const version of ['v1', 'v2']) {
          for (const rowGroup of [700, 100000]) {
            const name = `duckdb_${compression}_${dictionary ? 'dict' : 'nodict'}_${version}_${nulls ? 'nulls' : 'nonull'}_rg${rowGroup}`;
            const file = `${dir}/${name}.parquet`;
            const opts = [`FORMAT parquet`, `COMPRESSION ${compression}`, `PARQUET_VERSION ${version}`,
                          `ROW_GROUP_SIZE ${rowGroup}`];
            if (!dictionary) opts.push('DICTIONARY_SIZE_LIMIT 1');
            await c.run(`COPY t TO ${sqlString(file)} (${opts.join(', ')})`);
            await c.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)})) TO ${sqlString(`${dir}/${name}.expected.jsonl`)} (FORMAT json)`);
            const meta = await c.runAndReadAll(
              `SELECT DISTINCT encodings, compression FROM parquet_metadata(${sqlString(file)})`);
            const groups = await c.runAndReadAll(
              `SELECT count(DISTINCT row_group_id)::INTEGER AS n FROM parquet_metadata(${sqlString(file)})`);
            cases.push({
              name, compression, dictionary, version, nulls, row_group_size: rowGroup, rows,
              row_groups: groups.getRowObjectsJson()[0].n,
              encodings: [...new Set(meta.getRowObjectsJson().flatMap((r) => String(r.encodings).split(', ')))].sort(),
            });
          }
        }
      }
    }
  }
  // An empty file: a schema and no rows.
  await c.run(`COPY (SELECT * FROM t LIMIT 0) TO ${sqlString(`${dir}/duckdb_empty.parquet`)} (FORMAT parquet)`);
  writeFileSync(`${dir}/duckdb_empty.expected.jsonl`, '');
  cases.push({ name: 'duckdb_empty', compression: 'snappy', rows: 0, encodings: [] });
  writeFileSync(`${dir}/cases.json`, JSON.stringify(cases, null, 1));
}

async function read(file, out) {
  const c = await connect();
  await c.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)})) TO ${sqlString(out)} (FORMAT json)`);
}

async function readAll(dir) {
  const c = await connect();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort()) {
    const file = `${dir}/${name}`;
    const base = file.slice(0, -'.parquet'.length);
    try {
      await c.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)})) TO ${sqlString(base + '.duckdb.jsonl')} (FORMAT json)`);
    } catch (e) {
      writeFileSync(base + '.duckdb.error', String(e.message));
    }
  }
}

async function stats(file, out) {
  const c = await connect();
  const r = await c.runAndReadAll(
    `SELECT row_group_id, path_in_schema, type, compression, encodings, stats_min_value, stats_max_value,
            stats_null_count, num_values FROM parquet_metadata(${sqlString(file)}) ORDER BY row_group_id, column_id`);
  const schema = await c.runAndReadAll(
    `SELECT name, type, repetition_type, converted_type, logical_type FROM parquet_schema(${sqlString(file)})`);
  writeFileSync(out, JSON.stringify({ chunks: r.getRowObjectsJson(), schema: schema.getRowObjectsJson() }, null, 1));
}

async function bench(file) {
  const c = await connect();
  const t0 = process.hrtime.bigint();
  const r = await c.runAndReadAll(`SELECT count(*) AS n, sum(length(COLUMNS(c -> true)::VARCHAR)) FROM read_parquet(${sqlString(file)})`);
  const t1 = process.hrtime.bigint();
  // Materialising every value (what a reader that hands out rows does):
  const t2 = process.hrtime.bigint();
  await c.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)})) TO '/dev/null' (FORMAT csv)`);
  const t3 = process.hrtime.bigint();
  console.log(JSON.stringify({ rows: Number(r.getRowObjectsJson()[0].n), scan_seconds: Number(t1 - t0) / 1e9,
                               materialise_seconds: Number(t3 - t2) / 1e9 }));
}

const [cmd, a, b] = process.argv.slice(2);
if (cmd === 'write-cases') await writeCases(a);
else if (cmd === 'read') await read(a, b);
else if (cmd === 'read-all') await readAll(a);
else if (cmd === 'stats') await stats(a, b);
else if (cmd === 'bench') await bench(a);
else {
  console.error('usage: duckdb_parquet.mjs write-cases DIR | read FILE OUT | read-all DIR | stats FILE OUT | bench FILE');
  process.exit(2);
}
