// Word count with the TypeScript library: the ten most frequent words of the
// text files under <data-dir>/text, and how many words there are in all.
//
//   npx minispark submit examples/wordcount.ts                    # a local 2-worker cluster over ./data
//   MINISPARK_DATA_DIR=examples/data npx minispark submit examples/wordcount.ts
//   npx minispark submit --master http://127.0.0.1:7077 examples/wordcount.ts
import { connect } from "minispark";

// connect() with no argument: the --master given to `minispark submit`, else a local cluster.
const sc = await connect(undefined, { appName: "wordcount" });
try {
  const minLength = Number(process.env.MIN_WORD_LENGTH ?? 1);
  const words = sc
    .textFile("text/*.txt")
    .flatMap((line) => line.toLowerCase().split(/[^a-z']+/))
    // minLength lives in this program, so it travels in env: the function runs on the workers.
    .filter((w, env) => w.length >= env.minLength, { env: { minLength } });
  const counts = words.map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b);

  const top = await counts.sortBy(([word, n]) => [-n, word]).take(10);
  for (const [word, n] of top) console.log(`${String(n).padStart(6)}  ${word}`);
  console.log(`${await words.count()} words, ${await counts.count()} distinct`);
} finally {
  await sc.close();
}
