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
  var instances = {};  // by shard folder: the promise of a Pagefind instance over that shard
  var latest = 0;

  // The index is split into shards (one Pagefind bundle each, listed with their
  // kinds in shards.json). A search asks the shards that can hold what it looks
  // for, each loaded on first use, and ranks their results together by score,
  // as Pagefind's mergeIndex does, less the shards that did not find the words.
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

  function load(kindName) {
    return listing().then(function (data) {
      var chosen = data.shards.filter(function (shard) { return !kindName || shard.kinds.indexOf(kindName) >= 0; });
      if (!chosen.length) { chosen = data.shards.slice(0, 1); }  // a kind with no page: nothing will match
      return Promise.all(chosen.map(function (shard) {
        // Each shard is searched with its own copy of Pagefind's script (its
        // own module, so its own WebAssembly memory: instances of one module
        // overwrite each other's), on the page, not in a worker; the results
        // come back per shard, which mergeIndex would not tell (see below).
        // The index holds full site paths (with any sub-path like /pr-42/):
        // Pagefind must not prefix its own folder's base to them.
        instances[shard.url] = instances[shard.url] || import(shard.url + "pagefind.js").then(function (module) {
          return module.createInstance({ basePath: shard.url, baseUrl: "/", excerptLength: 30, noWorker: true });
        });
        return instances[shard.url];
      }));
    });
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

  // A shard in which no word starts like a searched word answers with the
  // longest word it has that the searched word starts with ("a" for
  // "alternating", "curve" for "curvature"): Pagefind's fallback, meant for a
  // whole site, which would list junk from every shard without the word. All
  // of a shard's results match the same way, so its first result tells: each
  // searched word must have been found as a word that starts like it, but for
  // the ending a stem leaves out (at most 4 letters, "running" → "run").
  function answersEveryWord(found, words) {
    if (!words.length || !found.results.length) { return Promise.resolve(true); }
    return found.results[0].data().then(function (page) {
      var text = page.content.split(/\s+/);
      var matched = [];
      page.locations.forEach(function (at) {
        var word = text[at] || "";
        matched.push(fold(word));
        word.split(/[^\p{L}\p{N}]+/u).forEach(function (part) { matched.push(fold(part)); });
      });
      return words.every(function (word) {
        var needed = Math.max(Math.min(word.length, 3), word.length - 4);
        return matched.some(function (candidate) { return sharedStart(candidate, word) >= needed; });
      });
    });
  }

  function search(query, chosen) {
    var words = query.split(/\s+/).map(fold).filter(Boolean);
    return load(chosen.kind).then(function (searchers) {
      return Promise.all(searchers.map(function (searcher) {
        return searcher.search(query || null, { filters: chosen }).then(function (found) {
          return answersEveryWord(found, words).then(function (fits) { return fits ? found.results : []; });
        });
      }));
    }).then(function (lists) {
      // Shards in manifest order, so that equal scores keep one order (sort is stable).
      return [].concat.apply([], lists).sort(function (a, b) { return b.score - a.score; });
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

  function run() {
    var query = input.value.trim();
    var chosen = filters();
    var ticket = ++latest;
    if (!query && !Object.keys(chosen).length) {
      list.replaceChildren();
      status.textContent = "";
      return Promise.resolve();
    }
    status.textContent = "Searching…";
    return search(query, chosen).then(function (results) {
      return Promise.all(results.slice(0, SHOWN).map(function (r) { return r.data(); }))
        .then(function (pages) {
          if (ticket !== latest) { return; }  // a newer search is under way
          list.replaceChildren.apply(list, pages.map(item));
          var count = results.length;
          var words = query ? " for “" + query + "”" : "";
          status.textContent = count === 0 ? "Nothing found" + words + "."
            : (count === 1 ? "1 page found" : count + " pages found") + words
              + (count > SHOWN ? "; the first " + SHOWN + " are shown." : ".");
        });
    }).catch(function () {
      status.textContent = "The search index could not be loaded. Try again, or browse the lists in the menu.";
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
