// Shiny output binding for the dashboard's charts: the server sends plotly's JSON figure
// ({data, layout, config}, see charts.py) and this draws it with plotly.js, served by the app
// (assets.py). An empty chart is an ordinary figure carrying the "No data" note.
(() => {
    "use strict";

    // plotly.js is preloaded by the page head (<link id="plotly-js">) and run only once Shiny
    // has connected: evaluating it takes a while, and doing it earlier would hold back the
    // websocket; this way the browser evaluates it while the server renders the first page.
    let plotly = null;
    function loadPlotly() {
        if (plotly === null) {
            plotly = new Promise((resolve, reject) => {
                const script = document.createElement("script");
                script.src = document.getElementById("plotly-js").href;
                script.onload = () => resolve(window.Plotly);
                script.onerror = () => reject(new Error(`could not load ${script.src}`));
                document.head.appendChild(script);
            });
        }
        return plotly;
    }
    $(document).one("shiny:connected", () => setTimeout(loadPlotly));

    const binding = new Shiny.OutputBinding();
    $.extend(binding, {
        find: (scope) => $(scope).find(".clickstream-chart"),
        renderValue: async (el, figure) => {
            const Plotly = await loadPlotly();
            if (figure === null) {
                Plotly.purge(el);
                return;
            }
            // react() diffs against what el shows, so a filter change redraws in place.
            await Plotly.react(el, figure.data, figure.layout, figure.config);
        },
        renderError: (el, err) => {
            // Shiny replaces the output's content with the message: let plotly let go first.
            if (window.Plotly) window.Plotly.purge(el);
            Shiny.OutputBinding.prototype.renderError.call(binding, el, err);
        },
    });
    Shiny.outputBindings.register(binding, "clickstream.chart");
})();
