// Reads a VTIMEZONE with Mozilla's ical.js, an independent client, for
// tests/test_vtimezones.py.
//
//   node offsets.mjs FILE < checks.json
//
// checks.json: {TZID: {"instants": [unix seconds], "walls": [[y, m, d, h, min], ...]}}
// Prints {TZID: {"offsets": [seconds east of UTC at each instant],
//                "instants": [unix seconds of each wall time]}}.
// Offsets come from ical.js's own expansion of the observances into UTC changes
// (what it uses to place events); wall times go through its public conversion
// of a local time with a TZID to an instant, as for an event's DTSTART.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function offsetAt(timezone, instant) {
  const year = new Date(instant * 1000).getUTCFullYear();
  timezone._ensureCoverage(year + 1);
  let offset = null;
  for (const change of timezone.changes) {  // sorted; each a UTC date-time
    const at = Date.UTC(change.year, change.month - 1, change.day, change.hour, change.minute, change.second) / 1000;
    if (at > instant) break;
    offset = change.utcOffset;
  }
  return offset;
}

function instantOf(timezone, [year, month, day, hour, minute]) {
  return ICAL.Time.fromData({ year, month, day, hour, minute, second: 0 }, timezone).toUnixTime();
}

const [file] = process.argv.slice(2);
const checks = JSON.parse(readFileSync(0, "utf8"));
const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
const result = {};
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  const timezone = new ICAL.Timezone(vtimezone);
  const wanted = checks[timezone.tzid];
  if (!wanted) continue;
  result[timezone.tzid] = {
    offsets: wanted.instants.map((instant) => offsetAt(timezone, instant)),
    instants: wanted.walls.map((wall) => instantOf(timezone, wall)),
  };
}
process.stdout.write(JSON.stringify(result) + "\n");
