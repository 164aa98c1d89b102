using System.Text.Json;
using Backprop.Cli;
using Backprop.Diagnostics;
using Backprop.Examples;
using Backprop.Explore;
using Backprop.Tests.Support;
using Microsoft.Playwright;

namespace Backprop.Tests.Explore;

/// <summary>
/// The explorer end to end in a real browser: Debian's chromium (/usr/bin/chromium, installed by scripts/setup.sh;
/// never 'playwright install') driven by Playwright. Every request that would leave the page's origin is aborted and
/// counted (there must be none), and no console error may occur. With BACKPROP_UPDATE_SCREENSHOTS=1 the screenshots are
/// written to docs/images/ (the README and docs/explore.md show them); otherwise to a temporary folder.
/// </summary>
public class ExploreBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static string Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(Backprop.Cli.Program.Run(args, stdout, stderr) == 0, stderr.ToString());
        return stdout.ToString();
    }

    [Fact]
    public async Task A_student_steps_edits_checks_and_is_quizzed_on_seed003()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/setup.sh (it installs Debian's chromium)");
        string shots = Environment.GetEnvironmentVariable("BACKPROP_UPDATE_SCREENSHOTS") == "1"
            ? Repository.Path("docs", "images") : Directory.CreateTempSubdirectory("backprop-shots").FullName;

        var session = new ExploreSession(Problem.FromExample<double>("seed003"), "seed003");
        await using var server = await ExploreServer.StartAsync(session);
        string origin = server.Url.GetLeftPart(UriPartial.Authority);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1500, Height = 1000 } });
        var outside = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(origin + "/", StringComparison.Ordinal)) await route.ContinueAsync();
            else
            {
                lock (outside) outside.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        var errors = new List<string>();
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add(e); };

        await page.GotoAsync(server.Url.ToString());
        await page.WaitForSelectorAsync("body[data-ready='true']");

        // Step with the arrow keys to the backward pass of layer 2; every shown line is a line of trace's text.
        string trace = Cli("trace", "--example", "seed003");
        string markdown = Cli("trace", "--example", "seed003", "--format", "markdown");
        for (int i = 0; i < 20 && !(await page.TextContentAsync("#step-title"))!.StartsWith("Backward pass, layer 2", StringComparison.Ordinal); i++)
        {
            string before = (await page.TextContentAsync("#step-title"))!;
            await page.Keyboard.PressAsync("ArrowRight");
            await page.WaitForFunctionAsync("t => document.getElementById('step-title').textContent !== t", before);
        }
        Assert.StartsWith("Backward pass, layer 2", await page.TextContentAsync("#step-title"));
        var lines = await page.Locator("#step-text .line").AllTextContentsAsync();
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
        Assert.Contains("W^{(2)}", chain.Single());
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "explore-backward.png"), FullPage = true });

        // The sheet's layout: seed 003's ∇W² as the sheet prints it, [in][out]; then back to PyTorch's.
        await page.SelectOptionAsync("#layout", "sheet");
        await page.WaitForFunctionAsync("() => document.getElementById('step-text').textContent.includes('dL/d(2.weight) = [[0.2880, -0.2880], [0.1466, -0.1466]]')");
        await page.SelectOptionAsync("#layout", "torch");
        await page.WaitForFunctionAsync("() => document.getElementById('step-text').textContent.includes('dL/d(2.weight) = [[0.2880, 0.1466], [-0.2880, -0.1466]]')");

        // Click the weight W²[0, 1] in the network, type 1.5: the page shows what 'backprop grad' gives for the edited model.
        // Edges cross at their middles, so the event goes to this edge itself rather than to the point under the mouse.
        await page.DispatchEventAsync("#edge-2-1-0", "click");
        Assert.Equal("2.weight", await page.InputValueAsync("#edit-target"));
        Assert.Equal("0,1", await page.InputValueAsync("#edit-index"));
        await page.FillAsync("#edit-value", "1.5");
        await page.ClickAsync("#edit-apply");
        await page.WaitForSelectorAsync("#step-text .changed");
        var edited = ProblemEditor.Apply(Problem.FromExample<double>("seed003"), [new ProblemEdit("2.weight", [0, 1], 1.5)]);
        var files = ProblemFiles.Of(edited);
        string dir = Directory.CreateTempSubdirectory("backprop-browser").FullName;
        JsonElement grad;
        try
        {
            File.WriteAllText(Path.Combine(dir, "model.json"), files.ModelJson);
            File.WriteAllText(Path.Combine(dir, "data.json"), files.DataJson);
            grad = JsonSerializer.Deserialize<JsonElement>(Cli("grad", "--model", Path.Combine(dir, "model.json"), "--data", Path.Combine(dir, "data.json"), "--loss", "half_sse"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        var format = NumberFormat.Fixed(4);
        var g = grad.GetProperty("grads").GetProperty("2.weight");
        string expected = "dL/d(2.weight) = [" + string.Join(", ", g.EnumerateArray().Select(r => "[" + string.Join(", ", r.EnumerateArray().Select(v => format(v.GetDouble()))) + "]")) + "]";
        Assert.Contains(expected, await page.Locator("#step-text .line").AllTextContentsAsync());

        // Export: the files and the command that reproduce the edited state.
        await page.ClickAsync("#export-panel summary");
        await page.ClickAsync("#export-cli");
        await page.WaitForFunctionAsync("() => document.getElementById('export-output').textContent.includes('backprop trace --model model.json')");
        Assert.Contains("[[2, 1.5], [3, 3]]", await page.TextContentAsync("#export-output"));

        // Finite differences of W¹[1, 0] beside the analytic gradient.
        await page.SelectOptionAsync("#fd-name", "0.weight");
        await page.FillAsync("#fd-index", "1,0");
        await page.ClickAsync("#fd-run");
        await page.WaitForSelectorAsync("#fd-result[data-passed]");
        Assert.Equal("true", await page.GetAttributeAsync("#fd-result", "data-passed"));

        // Quiz: hide dL/dW²[0, 1], answer it right, then with the sign flipped.
        double answer = g[0][1].GetDouble();
        await page.SelectOptionAsync("#quiz-quantity", "2.weight");
        await page.FillAsync("#quiz-index", "0,1");
        await page.ClickAsync("#quiz-hide");
        Assert.DoesNotContain(expected, await page.Locator("#step-text .line").AllTextContentsAsync());
        await page.FillAsync("#quiz-answer", answer.ToString("F4", System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("#quiz-check");
        await page.WaitForSelectorAsync("#quiz-result.right");
        await page.FillAsync("#quiz-answer", (-answer).ToString("F4", System.Globalization.CultureInfo.InvariantCulture));
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

        Assert.True(outside.Count == 0, "requests left the page's origin: " + string.Join(", ", outside));
        Assert.True(errors.Count == 0, "console errors: " + string.Join(" | ", errors));
    }
}
