// The `openai` npm package, an independent client, against `capsfusion serve`
// on loopback: model list, completions and chat completions (whole and
// streamed: the chunks add up to the whole answer), usage, the API key, and
// the errors the package maps to its exception classes. Then SIGTERM: exit 0.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const build = process.argv[2];
const dir = mkdtempSync(path.join(tmpdir(), 'capsfusion-serve-'));
const model = path.join(dir, 'tiny.gguf');
execFileSync(path.join(build, 'capsfusion_random_model'), [model, '--layers', '2', '--dim', '64']);

const key = 'test-key-' + process.pid;
const server = spawn(path.join(build, 'capsfusion'),
  ['serve', '--model', model, '--port', '0', '--threads', '2', '--api-key-env', 'CAPSFUSION_TEST_KEY'],
  { env: { ...process.env, CAPSFUSION_TEST_KEY: key }, stdio: ['ignore', 'pipe', 'inherit'] });
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));

let failed = false;
try {
  const port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', () => reject(new Error('capsfusion serve exited early: ' + out)));
    setTimeout(() => reject(new Error('no banner from capsfusion serve')), 30000);
  });
  const baseURL = `http://127.0.0.1:${port}/v1`;
  const client = new OpenAI({ apiKey: key, baseURL, maxRetries: 0, timeout: 60000 });

  // Models.
  const models = [];
  for await (const m of client.models.list()) models.push(m);
  assert.equal(models.length, 1);
  assert.equal(models[0].id, 'tiny');
  assert.equal(models[0].object, 'model');

  // Completions, whole.
  const params = { model: 'tiny', prompt: 'a photo of a dog', max_tokens: 16, temperature: 0 };
  const whole = await client.completions.create(params);
  assert.equal(whole.object, 'text_completion');
  assert.match(whole.id, /^cmpl-/);
  assert.equal(whole.model, 'tiny');
  assert.equal(whole.choices.length, 1);
  assert.equal(typeof whole.choices[0].text, 'string');
  assert.ok(['stop', 'length'].includes(whole.choices[0].finish_reason));
  const u = whole.usage;
  assert.ok(u.prompt_tokens > 0 && u.completion_tokens >= 0 && u.completion_tokens <= 16);
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);

  // Completions, streamed: the chunks add up to the whole answer.
  const stream = await client.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let reason = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'text_completion');
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.text;
      if (c.finish_reason) reason = c.finish_reason;
    }
  }
  assert.ok(chunks >= 2, `only ${chunks} chunks`);
  assert.equal(text, whole.choices[0].text);
  assert.equal(reason, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);

  // Fixed length through the ignore_eos extension.
  const fixed = await client.completions.create({ ...params, max_tokens: 20, ignore_eos: true });
  assert.equal(fixed.usage.completion_tokens, 20);
  assert.equal(fixed.choices[0].finish_reason, 'length');

  // Chat, whole and streamed.
  const messages = [{ role: 'system', content: 'Describe images.' }, { role: 'user', content: 'two cats on a sofa' }];
  const chat = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 16, temperature: 0 });
  assert.equal(chat.object, 'chat.completion');
  assert.match(chat.id, /^chatcmpl-/);
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(typeof chat.choices[0].message.content, 'string');
  const chatStream = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 16, temperature: 0, stream: true });
  let content = '';
  let role = null;
  let chatReason = null;
  for await (const chunk of chatStream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    const d = chunk.choices[0].delta;
    if (d.role) role = d.role;
    if (d.content) content += d.content;
    if (chunk.choices[0].finish_reason) chatReason = chunk.choices[0].finish_reason;
  }
  assert.equal(role, 'assistant');
  assert.equal(content, chat.choices[0].message.content);
  assert.equal(chatReason, chat.choices[0].finish_reason);

  // Seeded sampling is reproducible.
  const sampled = { model: 'tiny', prompt: 'a man', max_tokens: 12, temperature: 0.9, top_p: 0.95, seed: 42 };
  const s1 = await client.completions.create(sampled);
  const s2 = await client.completions.create(sampled);
  assert.equal(s1.choices[0].text, s2.choices[0].text);

  // Errors arrive as the package's exception classes.
  const wrongKey = new OpenAI({ apiKey: 'wrong', baseURL, maxRetries: 0 });
  await assert.rejects(wrongKey.completions.create(params), (e) => {
    assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
    assert.equal(e.status, 401);
    assert.equal(e.error?.type, 'authentication_error');
    return true;
  });
  await assert.rejects(client.completions.create({ ...params, model: 'gpt-4' }), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError, String(e));
    assert.equal(e.code, 'model_not_found');
    return true;
  });
  await assert.rejects(client.completions.create({ ...params, max_tokens: -1 }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError, String(e));
    assert.equal(e.param, 'max_tokens');
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'wizard', content: 'x' }] }),
    (e) => e instanceof OpenAI.BadRequestError);
  console.log('openai client: models, completions, chat, streaming, usage, errors: ok');
} catch (e) {
  failed = true;
  console.error('FAILED', e);
} finally {
  server.kill('SIGTERM');
  const { code, signal } = await exited;
  if (!failed && code !== 0) {
    console.error(`FAILED: capsfusion serve exited with ${code ?? signal} after SIGTERM`);
    failed = true;
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
