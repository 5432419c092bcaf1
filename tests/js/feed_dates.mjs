// Reads feeds with rss-parser, an independent client, for tests/test_feed_dates.py.
//
//   node feed_dates.mjs FILE...
//
// Prints {FILE: [{id, isoDate}]}: the date rss-parser gives each item (null when none).
import { readFileSync } from "node:fs";
import Parser from "rss-parser";

const parser = new Parser();
const result = {};
for (const file of process.argv.slice(2)) {
  const feed = await parser.parseString(readFileSync(file, "utf8"));
  result[file] = feed.items.map((item) => ({ id: item.guid || item.id || null, isoDate: item.isoDate || null }));
}
process.stdout.write(JSON.stringify(result) + "\n");
