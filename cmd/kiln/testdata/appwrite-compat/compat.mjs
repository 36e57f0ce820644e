// Drives a Kiln server with Appwrite's official Node SDK (response format
// 1.7). Each step prints "ok <step>"; any failure exits non-zero with the reason.
import { Client, Functions, Query, ID } from 'node-appwrite';
import { InputFile } from 'node-appwrite/file';
import { readFileSync } from 'node:fs';

const client = new Client()
  .setEndpoint(process.env.KILN_ENDPOINT)
  .setProject(process.env.KILN_PROJECT)
  .setKey(process.env.KILN_KEY);
const functions = new Functions(client);
const archive = readFileSync(process.env.KILN_ARCHIVE);

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
}

const fn = await functions.create(ID.unique(), 'Compat', 'wasi', ['any']);
check(fn.$id.length === 20 && fn.runtime === 'wasi' && fn.enabled === true, 'create function');
console.log('ok create function');

const fetched = await functions.get(fn.$id);
check(fetched.name === 'Compat', 'get function');
const list = await functions.list([Query.equal('name', ['Compat']), Query.limit(5)]);
check(list.total === 1 && list.functions[0].$id === fn.$id, 'list functions with queries');
console.log('ok list functions');

let dep = await functions.createDeployment(fn.$id, InputFile.fromBuffer(archive, 'code.tar.gz'), false);
check(dep.$id && dep.resourceId === fn.$id, 'create deployment');
console.log('ok upload deployment (' + archive.length + ' bytes)');
for (let i = 0; i < 300 && !['ready', 'failed', 'canceled'].includes(dep.status); i++) {
  await new Promise((r) => setTimeout(r, 100));
  dep = await functions.getDeployment(fn.$id, dep.$id);
}
check(dep.status === 'ready', 'deployment built, got ' + dep.status + ': ' + dep.buildLogs);
console.log('ok build');

const active = await functions.updateFunctionDeployment(fn.$id, dep.$id);
check(active.deploymentId === dep.$id, 'activate deployment');
console.log('ok activate');

const deps = await functions.listDeployments(fn.$id, [Query.equal('status', ['ready'])]);
check(deps.total === 1, 'list deployments');

const v = await functions.createVariable(fn.$id, 'GREETING', 'hello', false);
check(v.key === 'GREETING' && v.value === 'hello', 'create variable');
const s = await functions.createVariable(fn.$id, 'TOKEN', 'shh', true);
check(s.secret === true && s.value === '', 'secret variable hidden');
const vars = await functions.listVariables(fn.$id);
check(vars.total === 2, 'list variables');
console.log('ok variables');

const sync = await functions.createExecution(fn.$id, 'ping', false, '/hello', 'POST', { 'x-test': '1' });
check(sync.status === 'completed' && sync.responseStatusCode === 200 && sync.responseBody === 'hi', 'sync execution: ' + JSON.stringify(sync));
console.log('ok execute sync');

let queued = await functions.createExecution(fn.$id, '', true);
check(queued.status === 'waiting' || queued.status === 'processing', 'async execution queued: ' + queued.status);
for (let i = 0; i < 200 && queued.status !== 'completed' && queued.status !== 'failed'; i++) {
  await new Promise((r) => setTimeout(r, 100));
  queued = await functions.getExecution(fn.$id, queued.$id);
}
check(queued.status === 'completed', 'async execution completed: ' + queued.status);
console.log('ok execute async');

const execs = await functions.listExecutions(fn.$id, [Query.equal('status', ['completed']), Query.orderDesc('$createdAt'), Query.limit(10)]);
check(execs.total === 2 && execs.executions[0].$id === queued.$id, 'list executions with queries: ' + execs.total);
const none = await functions.listExecutions(fn.$id, [Query.equal('status', ['failed'])]);
check(none.total === 0, 'filter executions');
console.log('ok list executions');

try {
  await functions.get('does-not-exist');
  check(false, 'missing function must fail');
} catch (e) {
  check(e.code === 404 && e.type === 'function_not_found', 'error shape: ' + e.type);
}
console.log('ok errors');

await functions.delete(fn.$id);
console.log('ok delete');
