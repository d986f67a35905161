"""The panel's stylesheet: one `<style>` block shared by the live panel, its saved view and the static report.

Colours come from JupyterLab's CSS variables (`--jp-*`), with fallbacks for other front ends, so the light
and dark themes both read. Cells wrap where a long message would push the panel sideways.
"""

CSS = """<style>
.wap-panel,.wap-ingestion{color:var(--jp-ui-font-color1,inherit);font-size:var(--jp-ui-font-size1,13px)}
.wap-ingestion{font-family:var(--jp-ui-font-family,sans-serif)}
.wap-summary{display:flex;flex-wrap:wrap;align-items:center;gap:2px 14px;line-height:24px}
.wap-pill{font-weight:700;padding:1px 9px;border-radius:11px;font-size:12px;letter-spacing:.04em;white-space:nowrap}
.wap-ok{background:rgba(46,160,67,.18);color:var(--jp-success-color1,#1a7f37)}
.wap-fail{background:rgba(229,83,75,.18);color:var(--jp-error-color1,#cf222e)}
.wap-caution{background:rgba(212,160,23,.24);color:var(--jp-warn-color1,#9a6700)}
.wap-busy{background:rgba(56,139,253,.18);color:var(--jp-brand-color1,#1f6feb)}
.wap-idle{background:rgba(128,128,128,.18);color:var(--jp-ui-font-color2,#57606a)}
.wap-dim{color:var(--jp-ui-font-color2,#6e7781)}
.wap-warn{color:var(--jp-warn-color1,#9a6700);font-weight:600}
.wap-grid.wap-grid{border-collapse:collapse;font-size:12px;line-height:18px;table-layout:auto;margin:0 auto 0 0}
.wap-grid.wap-grid th,.wap-grid.wap-grid td{padding:1px 8px;text-align:left;white-space:nowrap;vertical-align:top;
 border:none;border-bottom:1px solid var(--jp-border-color2,rgba(128,128,128,.3));background:none}
.wap-grid.wap-grid th{font-weight:600;border-bottom-color:var(--jp-border-color1,rgba(128,128,128,.6))}
.wap-grid.wap-grid .wap-num{text-align:right;font-variant-numeric:tabular-nums}
.wap-grid.wap-grid td.wap-cut{max-width:18em;overflow:hidden;text-overflow:ellipsis}
.wap-grid.wap-checks{width:100%}
.wap-grid.wap-checks.wap-checks td.wap-cut{white-space:normal;overflow-wrap:anywhere;max-width:16em}
.wap-grid.wap-checks.wap-checks td:first-child{width:1%;white-space:nowrap}
.wap-grid.wap-checks.wap-checks .wap-num{width:1%;white-space:normal}
.wap-grid.wap-grid td.wap-msg{white-space:normal;overflow-wrap:anywhere;min-width:10em}
/* a wide panel: the message column takes at most 40% and check names break between words, so one long
   message (a schema listed in full) does not squeeze the other columns to a few letters a line */
.wap-panel{container-type:inline-size}
@container (min-width: 800px){.wap-grid.wap-checks.wap-checks td.wap-msg{width:40%}
 .wap-grid.wap-checks.wap-checks td.wap-name{overflow-wrap:break-word}}
.wap-clamp{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;line-clamp:2;overflow:hidden}
.wap-status{white-space:normal;overflow-wrap:anywhere;max-width:100%}
.wap-panel{min-width:0;max-width:100%}
.wap-panel .widget-html,.wap-panel .widget-html-content{min-width:0;max-width:100%}
.wap-panel .wap-confirm-text .widget-html-content{white-space:normal;overflow-wrap:anywhere;line-height:18px}
.wap-grid.wap-grid td.wap-bad{background:rgba(229,83,75,.2);color:var(--jp-error-color1,#cf222e);font-weight:600}
.wap-grid th.wap-hot{color:var(--jp-error-color1,#cf222e)}
.wap-null{color:var(--jp-ui-font-color3,#8c959f);font-style:italic}
.wap-code{font-family:var(--jp-code-font-family,monospace);font-size:12px;line-height:16px;margin:4px 0;
 padding:6px 8px;background:var(--jp-layout-color2,rgba(128,128,128,.1));border-radius:3px;white-space:pre;
 overflow-x:auto;max-width:100%;user-select:text}
.wap-suggest ul{margin:2px 0;padding-left:18px}
.wap-history{margin-top:10px}
.wap-profile .wap-grid.wap-grid td{white-space:normal}
.wap-profile .wap-grid.wap-grid td:nth-child(-n+2){white-space:nowrap}
.wap-empty{font-family:var(--jp-code-font-family,monospace);white-space:pre}
.wap-added{color:var(--jp-success-color1,#1a7f37)}
.wap-removed td:first-child{text-decoration:line-through}
.wap-removed{color:var(--jp-error-color1,#cf222e)}
.wap-changed{color:var(--jp-warn-color1,#9a6700)}
.wap-step-done{color:var(--jp-success-color1,#1a7f37)}
.wap-step-failed,.wap-step-error{color:var(--jp-error-color1,#cf222e)}
.wap-step-running{color:var(--jp-brand-color1,#1f6feb)}
.wap-step-waiting{color:var(--jp-warn-color1,#9a6700)}
.wap-step-pending,.wap-step-skipped{color:var(--jp-ui-font-color3,#8c959f)}
.wap-rows{overflow-x:auto}
.wap-log{font-size:11px;white-space:pre-wrap;color:var(--jp-ui-font-color2,#57606a)}
.wap-log summary{cursor:pointer}
.wap-offline{display:none;margin:4px 0;padding:4px 8px;border-left:3px solid var(--jp-warn-color1,#9a6700);
 background:rgba(212,160,23,.12)}
.jupyter-widgets-disconnected .wap-offline{display:block}
.wap-panel .jupyter-widgets-disconnected::before,.wap-panel.jupyter-widgets-disconnected::before{display:none}
.wap-panel .jupyter-widgets-disconnected.jupyter-button,.wap-panel .widget-checkbox.jupyter-widgets-disconnected,
.wap-panel .widget-text.jupyter-widgets-disconnected{opacity:.35;pointer-events:none}
.wap-panel .widget-tab>.widget-tab-contents,.wap-panel .lm-TabPanel-stackedPanel{max-height:400px;overflow:auto}
</style>"""
