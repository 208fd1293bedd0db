// Writes through ioredis's Sentinel support until stdin closes, then reads
// back the last acknowledged write and prints a JSON summary. Usage:
//   node ioredis_client.js <host:port,...> <master-name>
const Redis = require("ioredis");
const sentinels = process.argv[2].split(",").map((a) => {
  const [host, port] = a.split(":");
  return { host, port: Number(port) };
});
const redis = new Redis({
  sentinels, name: process.argv[3], connectTimeout: 500, maxRetriesPerRequest: 0,
  sentinelRetryStrategy: () => 100, retryStrategy: () => 100, enableOfflineQueue: false,
});
let acked = 0, errors = 0, last = 0, stop = false, i = 0;
redis.on("error", () => {});
async function loop() {
  while (!stop) {
    i++;
    try { await redis.set("io:" + i, String(i)); acked++; last = i; } catch (e) { errors++; }
    if (acked === 1 && last === i) process.stdout.write("ready\n");
    await new Promise((r) => setTimeout(r, 50));
  }
}
process.stdin.on("data", () => {});
process.stdin.on("end", async () => {
  stop = true;
  await new Promise((r) => setTimeout(r, 100));
  let readBack = null, port = null;
  try {
    readBack = await redis.get("io:" + last);
    const info = await redis.info("server");
    port = Number(/tcp_port:(\d+)/.exec(info)[1]);
  } catch (e) {}
  process.stdout.write(JSON.stringify({ acked, errors, last, readBack, port }) + "\n");
  redis.disconnect();
  process.exit(0);
});
loop();
