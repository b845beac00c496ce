/**
 * The isolation row's pathological client, in a process of its own (bench/run.ts starts it): it
 * posts the 50,000-draft allergy-check order-select again and again, printing one JSON line per
 * answer, until killed. Apart from the bench's own client because writing a 15 MB body stalls
 * the event loop that writes it (tens of milliseconds): in the bench's process that stall landed
 * on the ordinary calls' and `/health`'s timings, which are meant to time the service.
 */
import { timedCall } from './http-load.ts';
import { pathologicalOrderSelect } from './workloads.ts';

const port = Number(process.env.PORT);
const huge = pathologicalOrderSelect(50_000);
console.log(JSON.stringify({ ready: true, bytes: huge.body.length }));
for (;;) {
  try {
    const { status, ms } = await timedCall(port, huge.path, huge.body, 120_000);
    console.log(JSON.stringify({ status, ms }));
  } catch {
    console.log(JSON.stringify({ status: 0, ms: null }));
  }
}
