// The search page (/search/): reads ?q=, &kind= and &tag= from the address,
// asks the Pagefind index the build wrote into /pagefind/, and lists the pages
// found with their kind and date. Typing searches as you go; the address keeps
// the query, so a result list can be shared and the back button returns to it.
(function () {
  "use strict";

  var form = document.querySelector(".search-form");
  if (!form) { return; }
  var input = document.getElementById("Search-q");
  var kind = document.getElementById("Search-kind");
  var tag = document.getElementById("Search-tag");
  var status = document.getElementById("Search-status");
  var list = document.getElementById("Search-results");
  var SHOWN = 20;
  var shards = null;  // the promise of shards.json
  var module = null;  // the promise of Pagefind's script
  var searchers = {};  // by kind ("" for everything): the promise of a Pagefind instance over its shards
  var latest = 0;

  // The index is split into shards (one Pagefind bundle each, listed with their
  // kinds in shards.json). A search asks one Pagefind instance: a shard that can
  // hold what it looks for, with the others that can merged into it (Pagefind's
  // mergeIndex), so Pagefind's script and WebAssembly load once whatever the
  // number of shards, and results come ranked together by score. Each page's id
  // starts with its shard's tag (generator/search/bundle.py), which tells the
  // shard that found it.
  function listing() {
    if (!shards) {
      var address = new URL(form.getAttribute("data-shards"), location.href);
      shards = fetch(address).then(function (response) {
        if (!response.ok) { throw new Error("no shards.json"); }
        return response.json();
      }).then(function (data) {
        var folder = new URL(".", address);  // the paths are relative to pagefind/
        data.shards.forEach(function (shard) { shard.url = new URL(shard.path, folder).pathname; });
        return data;
      });
    }
    return shards;
  }

  // Pagefind's script, from the first shard: one module, whose WebAssembly all
  // its instances share (Pagefind instantiates it once per module; an instance
  // whose first shard is another fetches that shard's copy, and drops it).
  function script() {
    module = module || listing().then(function (data) { return import(data.shards[0].url + "pagefind.js"); });
    return module;
  }

  function load(kindName) {
    var key = kindName || "";
    searchers[key] = searchers[key] || Promise.all([listing(), script()]).then(function (loaded) {
      var data = loaded[0];
      var chosen = data.shards.filter(function (shard) { return !key || shard.kinds.indexOf(key) >= 0; });
      if (!chosen.length) { chosen = data.shards.slice(0, 1); }  // a kind with no page: nothing will match
      // The index holds full site paths (with any sub-path like /pr-42/):
      // Pagefind must not prefix its own folder's base to them.
      var options = { baseUrl: "/", excerptLength: 30 };
      // The instance's own bundle is the first shard chosen: the root shard, when
      // chosen, holds the others' folders, and Pagefind merges no bundle whose
      // folder its own starts with.
      var pagefind = loaded[1].createInstance(Object.assign({ basePath: chosen[0].url, noWorker: true }, options));
      return Promise.all(chosen.slice(1).map(function (shard) { return pagefind.mergeIndex(shard.url, options); }))
        .then(function () { return pagefind; });
    });
    searchers[key].catch(function () { delete searchers[key]; });  // a later search tries again
    return searchers[key];
  }

  // Letters and digits only, lower case, without accents: words compared as Pagefind would.
  function fold(text) {
    return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  }

  function sharedStart(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) { n++; }
    return n;
  }

  // The words of a page that a result of it matched, folded.
  function matchedWords(page) {
    var text = page.content.split(/\s+/);
    var found = [];
    page.locations.forEach(function (at) {
      var word = text[at] || "";
      found.push(fold(word));
      word.split(/[^\p{L}\p{N}]+/u).forEach(function (part) { found.push(fold(part)); });
    });
    return found;
  }

  // A shard in which no word starts like a searched word's stem answers with
  // the longest word it has that the stem starts with ("a" for "alternating",
  // "curv" for "curvature"): Pagefind's fallback, meant for a whole site, which
  // would list junk from every shard without the word. Within a shard every
  // result is found through the same words, so its best result tells. Which
  // searched words it surely found: those its matched words start like, but for
  // the ending a stem leaves out (at most 4 letters, "running" → "run").
  function surelyFound(result, words) {
    return result.data().then(function (page) {
      var matched = matchedWords(page);
      return words.map(function (word) {
        var needed = Math.max(Math.min(word.length, 3), word.length - 4);
        return !matched.length || matched.some(function (candidate) { return sharedStart(candidate, word) >= needed; });
      });
    });
  }

  function tagOf(result) {
    return String(result.id).split("_", 1)[0];
  }

  // The tags of the shards that have a word whose stem is the searched word's:
  // a quoted search, for which Pagefind has no fallback. A stem can be much
  // shorter than its word ("generalization" → "general"), which the first test
  // cannot tell from the fallback.
  function shardsWithStem(pagefind, word, chosen) {
    return pagefind.search("\"" + word + "\"", { filters: chosen }).then(function (found) {
      var tags = {};
      found.results.forEach(function (result) { tags[tagOf(result)] = true; });
      return tags;
    });
  }

  // The results of the shards that found every searched word.
  function genuine(pagefind, found, words, chosen) {
    var best = {};  // each shard's best result: results come sorted by score
    found.results.forEach(function (result) { best[tagOf(result)] = best[tagOf(result)] || result; });
    var tags = Object.keys(best);
    if (!words.length || !tags.length) { return Promise.resolve(found.results); }
    return Promise.all(tags.map(function (tag) { return surelyFound(best[tag], words); })).then(function (verdicts) {
      return Promise.all(words.map(function (word, n) {
        var doubtful = verdicts.some(function (verdict) { return !verdict[n]; });
        return doubtful ? shardsWithStem(pagefind, word, chosen) : {};
      })).then(function (withStem) {
        var dropped = {};
        tags.forEach(function (tag, t) {
          words.forEach(function (word, n) { if (!verdicts[t][n] && !withStem[n][tag]) { dropped[tag] = true; } });
        });
        return found.results.filter(function (result) { return !dropped[tagOf(result)]; });
      });
    });
  }

  function search(query, chosen) {
    var exact = /^\s*".+"\s*$/.test(query);  // Pagefind has no fallback for a quoted phrase
    var words = exact ? [] : query.split(/\s+/).map(fold).filter(Boolean);
    return load(chosen.kind).then(function (pagefind) {
      return pagefind.search(query || null, { filters: chosen }).then(function (found) {
        return genuine(pagefind, found, words, chosen);
      });
    });
  }

  // Pagefind's excerpt is text with <mark> around the words found. Only those
  // marks are kept: the rest is shown as text, whatever a page contained.
  function excerpt(html) {
    var p = document.createElement("p");
    html.split(/(<mark>|<\/mark>)/).reduce(function (marked, part) {
      if (part === "<mark>") { return true; }
      if (part === "</mark>") { return false; }
      // Parsed after <body>: text parsed before it loses its leading spaces, which
      // glued the word after a mark to the mark ("Noiseas").
      var text = document.createTextNode(new DOMParser().parseFromString("<body>" + part, "text/html").body.textContent);
      if (marked) {
        var mark = document.createElement("mark");
        mark.appendChild(text);
        p.appendChild(mark);
      } else {
        p.appendChild(text);
      }
      return marked;
    }, false);
    return p;
  }

  function item(data) {
    var li = document.createElement("li");
    li.className = "search-result";
    var heading = document.createElement("h2");
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = (data.meta && data.meta.title) || data.url;
    heading.appendChild(link);
    var facts = document.createElement("p");
    facts.className = "muted search-facts";
    facts.textContent = [data.meta.kind, data.meta.date].filter(Boolean).join(" · ");
    li.appendChild(heading);
    li.appendChild(facts);
    li.appendChild(excerpt(data.excerpt || ""));
    return li;
  }

  function filters() {
    var chosen = {};
    if (kind.value) { chosen.kind = kind.value; }
    if (tag.value) { chosen.tag = tag.value; }
    return chosen;
  }

  // What the list shows: the results of the latest search, the first `shown` of them.
  var showing = { results: [], shown: 0, words: "" };
  var more = document.createElement("button");  // made here: without JavaScript it could do nothing
  more.type = "button";
  more.className = "button search-more";
  more.hidden = true;
  list.after(more);

  function describe() {
    var count = showing.results.length;
    status.textContent = count === 0 ? "Nothing found" + showing.words + "."
      : (count === 1 ? "1 page found" : count + " pages found") + showing.words
        + (count > showing.shown ? "; the first " + showing.shown + " are shown." : ".");
    var left = count - showing.shown;
    more.hidden = left <= 0;
    more.textContent = "Show " + Math.min(left, SHOWN) + " more";
  }

  // The next results after those shown; `ticket` drops them if a newer search began meanwhile.
  function showNext(ticket) {
    var next = showing.results.slice(showing.shown, showing.shown + SHOWN);
    return Promise.all(next.map(function (r) { return r.data(); })).then(function (pages) {
      if (ticket !== latest) { return null; }
      var items = pages.map(item);
      if (showing.shown) { items.forEach(function (li) { list.appendChild(li); }); } else { list.replaceChildren.apply(list, items); }
      showing.shown += items.length;
      describe();
      return items[0] || null;
    });
  }

  function run() {
    var query = input.value.trim();
    var chosen = filters();
    var ticket = ++latest;
    if (!query && !Object.keys(chosen).length) {
      list.replaceChildren();
      status.textContent = "";
      more.hidden = true;
      return Promise.resolve();
    }
    status.textContent = "Searching…";
    return search(query, chosen).then(function (results) {
      if (ticket !== latest) { return; }  // a newer search is under way
      showing = { results: results, shown: 0, words: query ? " for “" + query + "”" : "" };
      return showNext(ticket);
    }).catch(function () {
      status.textContent = "The search index could not be loaded. Try again, or browse the lists in the menu.";
      more.hidden = true;
    });
  }

  function remember() {
    var params = new URLSearchParams();
    if (input.value.trim()) { params.set("q", input.value.trim()); }
    if (kind.value) { params.set("kind", kind.value); }
    if (tag.value) { params.set("tag", tag.value); }
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  function fillTags(selected) {
    return listing().then(function (data) {
      data.tags.slice().sort(function (a, b) { return a.localeCompare(b); }).forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        tag.appendChild(option);
      });
      tag.value = selected;
    }).catch(function () { /* the search itself reports it */ });
  }

  var timer = null;
  function now() {
    clearTimeout(timer);
    remember();
    run();
  }
  document.getElementById("Search-go").addEventListener("click", now);
  more.addEventListener("click", function () {
    // Focus moves to the first result added: the button may be gone after it.
    showNext(latest).then(function (first) { if (first) { first.querySelector("a").focus(); } });
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); now(); }
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { remember(); run(); }, 250);
  });
  [kind, tag].forEach(function (select) {
    select.addEventListener("change", function () { remember(); run(); });
  });

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  kind.value = params.get("kind") || "";
  if (kind.selectedIndex < 0) { kind.value = ""; }
  fillTags(params.get("tag") || "").then(run);
})();
