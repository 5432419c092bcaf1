// Optional enhancements; every page is complete without them.
// 1. After each event time, the same time in the visitor's zone
//    ("= 19:00–20:00 in your time (CET)").
// 2. A "Copy BibTeX" button on project pages.
// 3. Code blocks wider than the page scroll sideways; they become focusable so
//    that the keyboard can scroll them too.
// 4. The navigation shown on wide screens by browsers that cannot style a closed
//    <details> (no ::details-content): they get it opened there instead.
(function () {
  "use strict";

  var visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  function part(date, zone, options) {
    return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone }, options)).format(date);
  }

  function clock(date, zone) {
    return part(date, zone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function day(date, zone) {  // "Sat 9 Mar", like the server-side dates
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, weekday: "short", day: "numeric", month: "short" })
      .formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return parts.weekday + " " + parts.day + " " + parts.month;
  }

  // A lettered abbreviation (CET, PST, IST) where some English locale knows one,
  // else the offset ("UTC+9").
  function zoneLabel(date) {
    var locales = [navigator.language || "en", "en-US", "en-GB", "en-IN", "en-AU"];
    var fallback = "";
    for (var i = 0; i < locales.length; i++) {
      var name;
      try {
        name = new Intl.DateTimeFormat(locales[i], { timeZone: visitorZone, timeZoneName: "short" })
          .formatToParts(date).filter(function (p) { return p.type === "timeZoneName"; })[0].value;
      } catch (e) { continue; }
      if (!/^(GMT|UTC)([+\-\u2212]|$)/.test(name)) { return name; }
      fallback = fallback || name.replace(/^GMT/, "UTC").replace("-", "\u2212");
    }
    return fallback || visitorZone;
  }

  function visitorTime(start, end, eventDay) {
    var text = clock(start, visitorZone);
    var startDay = day(start, visitorZone);
    if (startDay !== eventDay) { text = startDay + ", " + text; }
    if (end) {
      var endDay = day(end, visitorZone);
      text += endDay === startDay ? "\u2013" + clock(end, visitorZone) : " \u2013 " + endDay + ", " + clock(end, visitorZone);
    }
    return text + " in your time (" + zoneLabel(start) + ")";
  }

  function showLocalTimes() {
    var nodes = document.querySelectorAll("time.local-time[data-zone]");
    Array.prototype.forEach.call(nodes, function (node) {
      var start = new Date(node.getAttribute("datetime"));
      var end = node.dataset.end ? new Date(node.dataset.end) : null;
      var zone = node.dataset.zone;
      if (isNaN(start.getTime()) || (end && isNaN(end.getTime()))) { return; }
      var note = document.createElement("span");
      note.className = "your-time";
      if (clock(start, zone) === clock(start, visitorZone) && day(start, zone) === day(start, visitorZone)) {
        note.textContent = " = the same in your time (" + zoneLabel(start) + ")";
      } else {
        note.textContent = " = " + visitorTime(start, end, day(start, zone));
      }
      node.insertAdjacentElement("afterend", note);
    });
  }

  function enableCopyButtons() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      var source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) { return; }
      var status = button.parentNode.querySelector(".copy-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(function () {
          if (status) { status.textContent = "Copied to the clipboard."; }
        }, function () {
          if (status) { status.textContent = "Could not copy; select the text and copy it instead."; }
        });
      });
    });
  }

  function openWideMenu() {
    var menu = document.querySelector("details.site-menu");
    if (!menu || !window.CSS || CSS.supports("selector(::details-content)")) { return; }
    var wide = window.matchMedia("(min-width: 64rem)");
    var sync = function () { menu.open = wide.matches; };
    sync();
    if (wide.addEventListener) { wide.addEventListener("change", sync); }
  }

  function focusableScrollers() {
    Array.prototype.forEach.call(document.querySelectorAll(".prose pre"), function (pre) {
      if (pre.scrollWidth > pre.clientWidth && !pre.hasAttribute("tabindex")) { pre.tabIndex = 0; }
    });
  }

  function start() {
    showLocalTimes();
    enableCopyButtons();
    openWideMenu();
    focusableScrollers();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
