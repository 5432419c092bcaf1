// Expands .ics files with Mozilla's ical.js (Thunderbird's parser), an independent
// client for tests/test_calendars.py.
//
//   node expand.mjs FROM TO FILE...    (FROM, TO: ISO instants in UTC)
//
// Prints {FILE: [{uid, summary, status, start, end}]} as JSON, occurrences that
// start in [FROM, TO), in order. Timed occurrences are UTC instants
// ("2026-03-06T18:00:00Z"); all-day ones are dates ("2027-04-26").
// Only the file's own VTIMEZONEs are registered, so a missing or wrong VTIMEZONE
// shows up as wrong instants instead of being papered over by a built-in zone.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function isoInstant(time) {
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function shown(time) {
  return time.isDate ? time.toString() : isoInstant(time);
}

function expandFile(path, from, to) {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  ICAL.TimezoneService.reset();
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const found = [];
  for (const vevent of calendar.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      const startMs = details.startDate.toUnixTime() * 1000;
      if (startMs >= to) break;
      if (startMs < from) continue;
      found.push({
        uid: event.uid,
        summary: event.summary,
        status: vevent.getFirstPropertyValue("status"),
        start: shown(details.startDate),
        end: shown(details.endDate),
      });
    }
  }
  return found;
}

const [fromText, toText, ...files] = process.argv.slice(2);
const from = Date.parse(fromText);
const to = Date.parse(toText);
const result = {};
for (const file of files) {
  result[file] = expandFile(file, from, to);
}
process.stdout.write(JSON.stringify(result, null, 1) + "\n");
