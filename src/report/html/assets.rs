//! The HTML report's style and script, inlined into the page (no network, no CDN; the page's
//! Content-Security-Policy forbids loading anything).

pub const STYLE: &str = r##"
:root { --pass: #1a7f37; --fail: #cf222e; --error: #bc4c00; --skip: #6e7781; --bg: #f6f8fa;
        --line: #d0d7de; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem; color: #1f2328; }
h1 { font-size: 1.4rem; margin: .2rem 0 .6rem; }
h2 { font-size: 1.15rem; margin: 0; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
.counts span { margin-right: 1rem; font-weight: 600; }
.badge { display: inline-block; min-width: 3.2rem; text-align: center; border-radius: 4px;
         color: #fff; font-size: .8rem; font-weight: 700; padding: 1px 6px; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.error { background: var(--error); } .badge.skip { background: var(--skip); }
.badge.notrun { background: #afb8c1; }
.controls { position: sticky; top: 0; background: #fff; padding: .5rem 0; border-bottom: 1px solid var(--line); }
.controls input[type=search] { width: 24rem; max-width: 60%; padding: 4px 6px; }
.controls label { margin-left: .8rem; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
section.scenario { border: 1px solid var(--line); border-radius: 6px; margin: 1rem 0; padding: .8rem 1rem; }
section.scenario.fail, section.scenario.error { border-left: 6px solid var(--fail); }
.where { color: #57606a; font-size: .85rem; }
.failure { background: #ffebe9; border: 1px solid #ff8182; border-radius: 6px; padding: .5rem .8rem; }
.failure .kind { font-size: .8rem; font-weight: 700; text-transform: uppercase; color: var(--fail); }
pre { margin: .3rem 0; padding: .4rem .6rem; background: var(--bg); overflow-x: auto; font-size: .82rem; }
pre.snippet .caret { color: var(--fail); font-weight: 700; }
.step { border-left: 3px solid var(--line); margin: .3rem 0; padding-left: .6rem; }
.step.failed, .step.errored { border-left-color: var(--fail); background: #fff1f0; }
.step.notrun { opacity: .55; }
.step-head { font-family: ui-monospace, monospace; font-size: .85rem; }
.t-client { color: #0550ae; } .t-server { color: #1f2328; } .t-info { color: #6e7781; }
svg.timeline { width: 100%; height: auto; background: var(--bg); border-radius: 4px; }
svg.timeline text { font: 11px ui-monospace, monospace; fill: #1f2328; }
[hidden] { display: none !important; }
"##;

/// The filter: a text box (matched against "suite › scenario" as typed, or with `>` read as
/// `›`, like `--filter`) and one
/// checkbox per status; the initial text may come from the URL (`#filter=TEXT`).
pub const SCRIPT: &str = r##"
(function () {
  "use strict";
  var box = document.getElementById("filter");
  var checks = Array.prototype.slice.call(document.querySelectorAll("input[data-status]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-name]"));
  var shown = document.getElementById("shown");
  function apply() {
    var text = box.value.toLowerCase();
    var typed = text.split(">").join("\u203a");
    var want = {};
    checks.forEach(function (c) { want[c.getAttribute("data-status")] = c.checked; });
    var count = 0;
    rows.forEach(function (el) {
      var name = el.getAttribute("data-name");
      var ok = (name.indexOf(text) !== -1 || name.indexOf(typed) !== -1) && want[el.getAttribute("data-status")] === true;
      el.hidden = !ok;
      if (ok && el.tagName === "TR") { count += 1; }
    });
    shown.textContent = String(count);
  }
  var hash = window.location.hash;
  if (hash.indexOf("#filter=") === 0) { box.value = decodeURIComponent(hash.slice(8)); }
  box.addEventListener("input", apply);
  checks.forEach(function (c) { c.addEventListener("change", apply); });
  apply();
})();
"##;
