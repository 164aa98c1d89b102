using System.Globalization;
using System.Text.Json;
using Backprop.Diagnostics;
using Backprop.Examples;
using Backprop.Explore;
using Backprop.Numerics;
using Backprop.Tests.Support;
using Microsoft.Playwright;

namespace Backprop.Tests.Explore;

/// <summary>
/// The explorer end to end in a real browser: Debian's chromium (/usr/bin/chromium, installed by scripts/setup.sh;
/// never 'playwright install') driven by Playwright. Every request that would leave the page's origin is aborted and
/// counted (there must be none), and no console error may occur. With BACKPROP_UPDATE_SCREENSHOTS=1 the screenshots are
/// written to docs/images/ (the README and docs/explore.md show them); otherwise to a temporary folder.
/// </summary>
public class ExploreBrowserTests(ExploreBrowserTests.Chromium chromium) : IClassFixture<ExploreBrowserTests.Chromium>
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private static string Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(Backprop.Cli.Program.Run(args, stdout, stderr) == 0, stderr.ToString());
        return stdout.ToString();
    }

    /// <summary>What <c>backprop CMD --model --data --loss --lr ARGS</c> prints for the problem written as files.</summary>
    private static string CliOn(Problem<double> problem, string command, params string[] args)
    {
        var files = ProblemFiles.Of(problem);
        string dir = Directory.CreateTempSubdirectory("backprop-browser").FullName;
        try
        {
            string model = Path.Combine(dir, "model.json"), data = Path.Combine(dir, "data.json");
            File.WriteAllText(model, files.ModelJson);
            File.WriteAllText(data, files.DataJson);
            string[] lr = command == "grad" ? [] : ["--lr", NumberFormatOf(problem.LearningRate!.Value)];
            return Cli([command, "--model", model, "--data", data, "--loss", problem.Loss.Name, .. lr, .. args]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string NumberFormatOf(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>One chromium for the tests of this class (starting Playwright's driver and the browser takes seconds).</summary>
    public sealed class Chromium : IAsyncLifetime
    {
        public IPlaywright Playwright { get; private set; } = null!;
        public IBrowser Browser { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: run scripts/setup.sh (it installs Debian's chromium)");
            Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            Browser = await Playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
            });
        }

        public async Task DisposeAsync()
        {
            await Browser.DisposeAsync();
            Playwright.Dispose();
        }
    }

    /// <summary>
    /// A page of the server in a browser context of its own, with every request outside the server's origin aborted and
    /// counted, and console errors kept.
    /// </summary>
    private sealed class BrowserPage : IAsyncDisposable
    {
        private readonly IBrowserContext _context;
        public readonly IPage Page;
        public readonly List<string> Outside = [], Errors = [];

        private BrowserPage(IBrowserContext context, IPage page) => (_context, Page) = (context, page);

        public static async Task<BrowserPage> Open(IBrowser browser, ExploreServer server)
        {
            string origin = server.Url.GetLeftPart(UriPartial.Authority);
            var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1500, Height = 1000 } });
            var page = new BrowserPage(context, await context.NewPageAsync());
            await context.RouteAsync("**/*", async route =>
            {
                if (route.Request.Url.StartsWith(origin + "/", StringComparison.Ordinal)) await route.ContinueAsync();
                else
                {
                    lock (page.Outside) page.Outside.Add(route.Request.Url);
                    await route.AbortAsync();
                }
            });
            page.Page.Console += (_, m) => { if (m.Type == "error") lock (page.Errors) page.Errors.Add(m.Text); };
            page.Page.PageError += (_, e) => { lock (page.Errors) page.Errors.Add(e); };
            await page.Page.GotoAsync(server.Url.ToString());
            await page.Page.WaitForSelectorAsync("body[data-ready='true']");
            return page;
        }

        public async Task<string> Title() => (await Page.TextContentAsync("#step-title"))!;

        /// <summary>Presses the key or clicks the button, and waits for the step's title to change.</summary>
        public async Task Step(string keyOrButton)
        {
            string before = await Title();
            if (keyOrButton.StartsWith('#')) await Page.ClickAsync(keyOrButton);
            else await Page.Keyboard.PressAsync(keyOrButton);
            await Page.WaitForFunctionAsync("t => document.getElementById('step-title').textContent !== t", before);
        }

        /// <summary>Steps forward with <paramref name="keyOrButton"/> until the title starts with <paramref name="title"/>.</summary>
        public async Task StepTo(string title, string keyOrButton)
        {
            for (int i = 0; i < 30 && !(await Title()).StartsWith(title, StringComparison.Ordinal); i++) await Step(keyOrButton);
            Assert.StartsWith(title, await Title());
        }

        public async Task<IReadOnlyList<string>> Lines() => await Page.Locator("#step-text .line").AllTextContentsAsync();

        public void AssertClean()
        {
            Assert.True(Outside.Count == 0, "requests left the page's origin: " + string.Join(", ", Outside));
            Assert.True(Errors.Count == 0, "console errors: " + string.Join(" | ", Errors));
        }

        public async ValueTask DisposeAsync() => await _context.DisposeAsync();
    }

    // Where the screenshots go: docs/images/ with BACKPROP_UPDATE_SCREENSHOTS=1, else a temporary folder.
    private static readonly Lazy<string> Shots = new(() => Environment.GetEnvironmentVariable("BACKPROP_UPDATE_SCREENSHOTS") == "1"
        ? Repository.Path("docs", "images") : Directory.CreateTempSubdirectory("backprop-shots").FullName);

    [Fact]
    public async Task A_student_steps_edits_checks_and_is_quizzed_on_seed003()
    {
        string shots = Shots.Value;
        var session = new ExploreSession(Problem.FromExample<double>("seed003"), "seed003");
        await using var server = await ExploreServer.StartAsync(session);
        await using var browser = await BrowserPage.Open(chromium.Browser, server);
        var page = browser.Page;

        // Step with the arrow keys to the backward pass of layer 2; every shown line is a line of trace's text.
        string trace = Cli("trace", "--example", "seed003");
        string markdown = Cli("trace", "--example", "seed003", "--format", "markdown");
        await browser.StepTo("Backward pass, layer 2", "ArrowRight");
        var lines = await browser.Lines();
        Assert.Contains("dL/d(2.weight) = [[0.2880, 0.1466], [-0.2880, -0.1466]]", lines);
        foreach (string line in lines) Assert.Contains("    " + line + "\n", trace);
        Assert.True(await page.IsVisibleAsync("#layer-2.current"), "the network highlights layer 2");

        // KaTeX typeset trace's own LaTeX: its MathML keeps the TeX as an annotation.
        var annotations = await page.Locator("#step-math annotation[encoding='application/x-tex']").AllTextContentsAsync();
        const string upstream = "\\frac{\\partial L}{\\partial h^{(3)}} = \\begin{bmatrix} 0.2932 & -0.2932 \\end{bmatrix}";
        Assert.Contains(upstream, annotations.Select(a => a.Trim()));
        Assert.Contains("$$" + upstream + "$$", markdown);
        // The chain panel is fetched after the step is shown: wait for layer 2's, not the previous step's (layer 3).
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll(\"#chain:not([hidden]) #chain-math annotation[encoding='application/x-tex']\")].some(a => a.textContent.includes('W^{(2)}'))");
        var chain = await page.Locator("#chain-math annotation[encoding='application/x-tex']").AllTextContentsAsync();
        Assert.Equal(2, chain.Count);
        Assert.Contains("W^{(2)}", chain[0]);
        Assert.Contains("\\nabla_{\\mathrm{2.weight}} L &= \\delta^\\top h", chain[1]);
        // The outer product fits its panel: nothing of the maths is cut off on the right.
        Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#stepper-panel .math')].every(m => m.scrollWidth <= m.clientWidth + 1)"),
            "a formula is wider than the worked-solution panel");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "explore-backward.png"), FullPage = true });

        // The ◀ and ▶ buttons step too.
        await browser.Step("#prev");
        Assert.StartsWith("Backward pass, layer 3", await browser.Title());
        await browser.Step("#next");
        Assert.StartsWith("Backward pass, layer 2", await browser.Title());

        // The sheet's layout: seed 003's ∇W² as the sheet prints it, [in][out]; then back to PyTorch's.
        await page.SelectOptionAsync("#layout", "sheet");
        await page.WaitForFunctionAsync("() => document.getElementById('step-text').textContent.includes('dL/d(2.weight) = [[0.2880, -0.2880], [0.1466, -0.1466]]')");
        await page.SelectOptionAsync("#layout", "torch");
        await page.WaitForFunctionAsync("() => document.getElementById('step-text').textContent.includes('dL/d(2.weight) = [[0.2880, 0.1466], [-0.2880, -0.1466]]')");

        // The mode switch recomputes in eval mode, and back.
        foreach (string mode in new[] { "eval", "train" })
        {
            await page.SelectOptionAsync("#mode", mode);
            await page.WaitForFunctionAsync("() => document.getElementById('status').textContent === 'recomputed'");
            Assert.Equal(mode == "train", session.Current.Model.Training);
        }

        // Click the weight W²[0, 1] in the network, type 1.5: the page shows what 'backprop grad' gives for the edited model.
        // Edges cross at their middles, so the event goes to this edge itself rather than to the point under the mouse.
        await page.DispatchEventAsync("#edge-2-1-0", "click");
        Assert.Equal("2.weight", await page.InputValueAsync("#edit-target"));
        Assert.Equal("0,1", await page.InputValueAsync("#edit-index"));
        await page.FillAsync("#edit-value", "1.5");
        await page.ClickAsync("#edit-apply");
        await page.WaitForSelectorAsync("#step-text .changed");
        var edited = ProblemEditor.Apply(Problem.FromExample<double>("seed003"), [new ProblemEdit("2.weight", [0, 1], 1.5)]);
        var grad = JsonSerializer.Deserialize<JsonElement>(CliOn(edited, "grad"));
        var format = NumberFormat.Fixed(4);
        var g = grad.GetProperty("grads").GetProperty("2.weight");
        string expected = "dL/d(2.weight) = [" + string.Join(", ", g.EnumerateArray().Select(r => "[" + string.Join(", ", r.EnumerateArray().Select(v => format(v.GetDouble()))) + "]")) + "]";
        Assert.Contains(expected, await browser.Lines());

        // Export: trace's JSON and Markdown of the edited state, exactly; the files and the command that reproduce it.
        await page.ClickAsync("#export-panel summary");
        foreach (var (button, traceFormat) in new[] { ("#export-json", "json"), ("#export-markdown", "markdown") })
        {
            string exported = CliOn(edited, "trace", "--format", traceFormat);
            await page.ClickAsync(button);
            await page.WaitForFunctionAsync("t => document.getElementById('export-output').textContent === t", exported);
        }
        await page.ClickAsync("#export-cli");
        await page.WaitForFunctionAsync("() => document.getElementById('export-output').textContent.includes('backprop trace --model model.json')");
        Assert.Contains("[[2, 1.5], [3, 3]]", await page.TextContentAsync("#export-output"));

        // Finite differences of W¹[1, 0] beside the analytic gradient, and the nudge: predicted ΔL ≈ g·ε against the actual ΔL.
        await page.SelectOptionAsync("#fd-name", "0.weight");
        await page.FillAsync("#fd-index", "1,0");
        await page.ClickAsync("#fd-run");
        await page.WaitForSelectorAsync("#fd-result[data-passed]");
        Assert.Equal("true", await page.GetAttributeAsync("#fd-result", "data-passed"));
        var probe = FiniteDifferenceProbe.Run(edited.Model, edited.Loss, edited.Batch, "0.weight", [1, 0]);
        async Task<double> Row(string label) => double.Parse((await page.Locator("#fd-result tr", new() { HasText = label }).Locator("td").TextContentAsync())!, CultureInfo.InvariantCulture);
        Assert.Equal(probe.PredictedDelta, await Row("predicted ΔL"));
        Assert.Equal(probe.ActualDelta, await Row("actual ΔL"));
        Assert.Equal(probe.Analytic, await Row("analytic g"));

        // Quiz: hide dL/dW², and neither its numbers nor the weights its update gives show anywhere on the page, on
        // its own step (with the chain rule's outer product) or the update's, nor through finite differences.
        double answer = g[0][1].GetDouble();
        var after = JsonSerializer.Deserialize<JsonElement>(CliOn(edited, "trace", "--format", "json")).GetProperty("updates").EnumerateArray()
            .Single(u => u.GetProperty("name").GetString() == "2.weight").GetProperty("after");
        var secret = g.EnumerateArray().Concat(after.EnumerateArray()).SelectMany(r => r.EnumerateArray()).Select(v => format(Math.Abs(v.GetDouble()))).ToList();
        async Task AssertNothingShowsTheAnswer()
        {
            string text = (await page.TextContentAsync("body"))!;
            foreach (string number in secret) Assert.DoesNotContain(number, text);
        }
        await page.SelectOptionAsync("#quiz-quantity", "2.weight");
        await page.FillAsync("#quiz-index", "0,1");
        await page.ClickAsync("#quiz-hide");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll(\"#chain-math annotation\")].some(a => a.textContent.includes('\\\\boxed{?}'))");
        Assert.Contains("dL/d(2.weight) = ? (hidden by the quiz)", await browser.Lines());
        await AssertNothingShowsTheAnswer();
        await browser.StepTo("Update", "#next");
        Assert.Contains(await browser.Lines(), l => l.StartsWith("2.weight = [[2.0000, 1.5000], [3.0000, 3.0000]] − 0.5·? = ? (hidden by the quiz)", StringComparison.Ordinal));
        await AssertNothingShowsTheAnswer();
        await page.SelectOptionAsync("#fd-name", "2.weight");
        await page.ClickAsync("#fd-run");
        await page.WaitForFunctionAsync("() => document.getElementById('fd-result').dataset.passed === 'hidden'");
        Assert.Equal("dL/d(2.weight), which the quiz hides: answer the quiz first", await page.TextContentAsync("#fd-result"));
        await AssertNothingShowsTheAnswer();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "explore-quiz-hidden.png"), FullPage = true });
        // Answer it right (the gradient shows again), then with the sign flipped: the slip is named.
        await page.FillAsync("#quiz-answer", answer.ToString("F4", CultureInfo.InvariantCulture));
        await page.ClickAsync("#quiz-check");
        await page.WaitForSelectorAsync("#quiz-result.right");
        await page.WaitForFunctionAsync("() => !document.getElementById('step-text').textContent.includes('hidden by the quiz')");
        await page.FillAsync("#quiz-answer", (-answer).ToString("F4", CultureInfo.InvariantCulture));
        await page.ClickAsync("#quiz-check");
        await page.WaitForSelectorAsync("#quiz-result.wrong");
        Assert.Equal("sign", await page.GetAttributeAsync("#quiz-result", "data-slip"));
        Assert.Contains("sign", await page.TextContentAsync("#quiz-result"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "explore-quiz.png"), FullPage = true });

        // The computational graph of seed 001: click x, see its local derivatives' chain reach 90.
        await page.ClickAsync("#graph-n0");
        await page.WaitForSelectorAsync("#graph-detail .katex");
        Assert.Contains("= 90", await page.TextContentAsync("#graph-detail p"));
        var graphTex = await page.Locator("#graph-detail annotation[encoding='application/x-tex']").AllTextContentsAsync();
        Assert.Contains(graphTex, t => t.Contains("20 \\cdot 2 + 25 \\cdot 2 = 90"));
        await page.Locator("#graph-panel").ScreenshotAsync(new() { Path = Path.Combine(shots, "explore-graph.png") });

        // The Jacobian of layer 3 (softmax), as 'backprop jacobian --layer 3' gives it, with its structure named.
        await page.SelectOptionAsync("#jac-layer", "3");
        await page.SelectOptionAsync("#jac-wrt", "input");
        await page.ClickAsync("#jac-show");
        await page.WaitForSelectorAsync("#jacobian .katex");
        var jacobianTex = await page.Locator("#jacobian annotation[encoding='application/x-tex']").AllTextContentsAsync();
        Assert.Contains(jacobianTex, t => t.Contains("\\frac{\\partial \\hat{y}}{\\partial h^{(3)}}"));
        Assert.Contains(await page.Locator("#jacobian li").AllTextContentsAsync(), n => n.Contains("diag(s) − s sᵀ"));

        // Click the target y₂ in the network and type 0.25: the problem's y changes.
        await page.DispatchEventAsync("#target-1", "click");
        Assert.Equal("y", await page.InputValueAsync("#edit-target"));
        Assert.Equal("0,1", await page.InputValueAsync("#edit-index"));
        await page.FillAsync("#edit-value", "0.25");
        await page.ClickAsync("#edit-apply");
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent === 'recomputed'");
        Assert.Equal(0.25, session.Current.Batch.Y[0, 1]);

        // The whole path with the ▶ button, from the problem through the update to the loss after it: every line is trace's.
        string now = CliOn(session.Current, "trace");
        await page.ClickAsync("#step-problem");
        await page.WaitForFunctionAsync("() => document.getElementById('step-title').textContent === 'The problem'");
        Assert.Contains("y = [[0.0000, 0.2500]]", await browser.Lines());
        var titles = new List<string>();
        while (true)
        {
            titles.Add(await browser.Title());
            foreach (string line in await browser.Lines()) Assert.Contains("    " + line + "\n", now);
            if (titles[^1] == "After the update") break;
            await browser.Step("#next");
        }
        Assert.Equal(12, titles.Count);
        Assert.StartsWith("Update (SGD, η = 0.5)", titles[^2]);
        Assert.Contains(await browser.Lines(), l => l.StartsWith("loss = ", StringComparison.Ordinal) && l.Contains("(before the update: "));
        Assert.Equal("12 / 12", await page.TextContentAsync("#step-counter"));

        browser.AssertClean();
    }

    [Fact]
    public async Task A_model_too_large_to_draw_loads_and_steps_through_previews()
    {
        // No wall-clock limit: CI runs on two loaded cores. What keeps the page quick is the size of what it is sent,
        // which ExploreServerTests checks; Playwright's 30 s waits fail a page that never gets there.
        await using var server = await ExploreServer.StartAsync(new ExploreSession(LargeProblem.Create(), "large"));
        await using var browser = await BrowserPage.Open(chromium.Browser, server);
        var page = browser.Page;
        Assert.True(await page.IsVisibleAsync("#summary-1"), "the convolution's output is a heat-map");

        // The backward pass of the 2704 → 300 linear layer: previews in the text, the maths and the chain rule.
        await browser.StepTo("Backward pass, layer 3", "#next");
        Assert.Contains(await browser.Lines(), l => l.StartsWith("dL/d(3.weight) = 300×2704, 811200 values", StringComparison.Ordinal));
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll(\"#chain:not([hidden]) #chain-math annotation\")].some(a => a.textContent.includes('nabla_{\\\\mathrm{3.weight}}'))");
        Assert.Contains(await page.Locator("#step-math annotation").AllTextContentsAsync(), t => t.Contains("\\ddots"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Shots.Value, "explore-large.png"), FullPage = true });
        await browser.StepTo("After the update", "#next");
        browser.AssertClean();
    }
}
