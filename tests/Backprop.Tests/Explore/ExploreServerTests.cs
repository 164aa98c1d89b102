using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Diagnostics;
using Backprop.Examples;
using Backprop.Explore;
using Backprop.Models;
using Backprop.Data;
using Backprop.Losses;
using Backprop.Numerics;

namespace Backprop.Tests.Explore;

/// <summary>The explorer's server over HTTP: the API is trace's worked solution, edits recompute it, and it refuses what it must.</summary>
public class ExploreServerTests
{
    private static async Task<(ExploreServer Server, HttpClient Client)> Start(string example = "seed003")
    {
        var session = new ExploreSession(Problem.FromExample<double>(example), example);
        var server = await ExploreServer.StartAsync(session);
        return (server, new HttpClient { BaseAddress = server.Url });
    }

    private static string Trace(params string[] args)
    {
        var stdout = new StringWriter();
        Assert.Equal(0, Program.Run(["trace", .. args, "--format", "json"], stdout, new StringWriter()));
        return stdout.ToString();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task The_solution_is_exactly_trace_format_json_for_every_example()
    {
        foreach (var (name, _) in Problem.Examples)
        {
            var (server, client) = await Start(name);
            await using (server)
            {
                Assert.Equal(Trace("--example", name), await client.GetStringAsync("/api/solution"));
                Assert.Equal(Trace("--example", name, "--layout", "sheet"), await client.GetStringAsync("/api/solution?layout=sheet"));
            }
        }
    }

    [Fact]
    public async Task An_edit_recomputes_the_solution_as_trace_and_grad_give_it_for_the_edited_files()
    {
        var (server, client) = await Start();
        await using var _ = server;
        var response = await client.PostAsync("/api/solution", Json("""{"edits": [{"target": "2.weight", "index": [0, 1], "value": 1.5}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string edited = await response.Content.ReadAsStringAsync();
        var cli = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/export?format=cli"));
        string dir = Directory.CreateTempSubdirectory("backprop-explore").FullName;
        try
        {
            string model = Path.Combine(dir, "model.json"), data = Path.Combine(dir, "data.json");
            File.WriteAllText(model, cli.GetProperty("model_json").GetString());
            File.WriteAllText(data, cli.GetProperty("data_json").GetString());
            Assert.Equal(Trace("--model", model, "--data", data, "--loss", "half_sse", "--lr", "0.5"), edited);
            Assert.Contains("\"weight\": [[2, 1.5], [3, 3]]", File.ReadAllText(model));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        Assert.Equal(edited, await client.GetStringAsync("/api/solution"));
        await client.PostAsync("/api/solution", Json("""{"reset": true}"""));
        Assert.Equal(Trace("--example", "seed003"), await client.GetStringAsync("/api/solution"));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("""{"edits": [{"target": "7.weight", "index": [0, 0], "value": 1}]}""", "unknown target")]
    [InlineData("""{"edits": [{"target": "0.weight", "index": [0, 9], "value": 1}]}""", "outside shape")]
    [InlineData("""{"edits": [{"target": "0.weight", "index": [0, 0], "value": "many"}]}""", "expected a number")]
    [InlineData("""{"edits": [{"target": "0.weight", "index": "0,0", "value": 1}]}""", "array of whole numbers")]
    [InlineData("""{"edits": [{"target": "mode", "text": "sideways"}]}""", "'train' or 'eval'")]
    [InlineData("""{"edits": [{"target": "mode", "value": 1, "text": "eval"}]}""", "edits[0]: give \"value\" (a number) or \"text\"")]
    [InlineData("""{"edits": [{"target": "x", "index": [0, 0], "value": 1e308}]}""", "refused, nothing changed: with this edit the output of layers[0] is Infinity")]
    public async Task A_malformed_edit_gets_a_clear_json_error_and_the_server_keeps_running(string body, string message)
    {
        var (server, client) = await Start();
        await using var _ = server;
        var response = await client.PostAsync("/api/solution", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync()).GetProperty("error").GetString();
        Assert.Contains(message, error);
        Assert.Equal(Trace("--example", "seed003"), await client.GetStringAsync("/api/solution"));
    }

    [Fact]
    public async Task Posts_must_be_json_from_the_pages_own_origin_and_hosts_must_be_local()
    {
        var (server, client) = await Start();
        await using var _ = server;
        var plain = await client.PostAsync("/api/solution", new StringContent("""{"reset": true}""", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        var foreign = new HttpRequestMessage(HttpMethod.Post, "/api/solution") { Content = Json("""{"reset": true}""") };
        foreign.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(foreign)).StatusCode);
        var own = new HttpRequestMessage(HttpMethod.Post, "/api/solution") { Content = Json("""{"reset": true}""") };
        own.Headers.Add("Origin", server.Url.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(own)).StatusCode);
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/solution");
        rebound.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(rebound)).StatusCode);
        var page = await client.GetAsync("/");
        Assert.Equal("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("katex.min.js", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_pages_files_are_embedded_with_katex_and_its_licence()
    {
        Assert.Superset(new HashSet<string> { "index.html", "explore.js", "explore.css", "katex/katex.min.js", "katex/katex.min.css", "katex/LICENSE", "katex/fonts/KaTeX_Main-Regular.woff2" }, ExploreApi.Assets.ToHashSet());
        var (server, client) = await Start();
        await using var _ = server;
        var font = await client.GetAsync("/assets/katex/fonts/KaTeX_Main-Regular.woff2");
        Assert.Equal("font/woff2", font.Content.Headers.ContentType!.MediaType);
        // The CSS names fonts relative to itself; every woff2 it names is served.
        string css = await client.GetStringAsync("/assets/katex/katex.min.css");
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(css, @"url\((fonts/[^)]+\.woff2)\)"))
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/assets/katex/" + m.Groups[1].Value)).StatusCode);
    }

    [Fact]
    public async Task Check_quiz_chain_graph_and_jacobian_answer_from_the_library()
    {
        var (server, client) = await Start();
        await using var _ = server;
        var check = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/check?name=2.weight&index=0,1"));
        Assert.True(check.GetProperty("passed").GetBoolean());
        var quiz = await client.PostAsync("/api/quiz", Json("""{"quantity": "2.weight", "index": [0, 1], "answer": -0.1466}"""));
        Assert.Equal("sign", JsonSerializer.Deserialize<JsonElement>(await quiz.Content.ReadAsStringAsync()).GetProperty("slip").GetString());
        var chain = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/chain"));
        Assert.Equal("softmax", chain.GetProperty("steps")[0].GetProperty("kind").GetString());
        var graph = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/graph"));
        Assert.Contains("dw/dx = 90", graph.GetProperty("summary").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("id=\"graph-n0\"", graph.GetProperty("svg").GetString());
        var jacobian = await client.GetAsync("/api/jacobian?layer=2");
        Assert.Equal(HttpStatusCode.OK, jacobian.StatusCode);
        var p = Problem.FromExample<double>("seed003");
        Assert.Equal(JacobianWriter.Write([Jacobian.Compute(p.Model, p.Batch, new JacobianRequest { Layer = 2 }, p.Loss)], "json"), await jacobian.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/check?name=2.weight&index=0,7")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/jacobian?of=everything")).StatusCode);
    }

    [Fact]
    public async Task The_network_svg_has_stable_ids_and_weights_inputs_and_targets_to_click()
    {
        var (server, client) = await Start();
        await using (server)
        {
            string svg = await client.GetStringAsync("/api/network.svg");
            foreach (string id in new[] { "unit-0-0", "unit-4-1", "layer-0", "edge-0-1-0", "edge-2-0-1", "edge-1-0-0", "target-1" })
                Assert.Contains($"id=\"{id}\"", svg);
            Assert.Contains("data-target=\"0.weight\" data-index=\"0,1\"", svg);
            Assert.Contains("id=\"unit-0-1\" class=\"unit\" data-target=\"x\" data-index=\"0,1\"", svg);
            Assert.Contains("id=\"target-1\" class=\"unit target\" data-target=\"y\" data-index=\"0,1\"", svg);
        }
    }

    [Fact]
    public async Task A_model_too_large_to_draw_is_a_summary_and_the_page_gets_it_in_kilobytes()
    {
        // Every number of this model's solution is 93 MB of steps and 18 MB per chain rule: the page gets previews.
        await using var server = await ExploreServer.StartAsync(new ExploreSession(LargeProblem.Create(), "large"));
        using var client = new HttpClient { BaseAddress = server.Url };
        string svg = await client.GetStringAsync("/api/network.svg");
        Assert.Contains("id=\"summary-1\"", svg);
        Assert.Contains("id=\"summary-4\"", svg);
        Assert.Contains("id=\"unit-7-9\"", svg);
        Assert.True(svg.Length < 150_000, $"{svg.Length} characters");
        Assert.Contains("id=\"target-0\" class=\"unit target\" data-target=\"y\" data-index=\"0\"", svg); // a class index

        // The sizes are the guarantee that the page stays quick; no wall-clock limit, since CI runs on two loaded cores.
        foreach (string path in new[] { "/api/steps", "/api/steps?layout=sheet", "/api/chain", "/api/chain?layer=3", "/api/state",
                     "/api/jacobian?format=markdown&max_entries=256&of=output&wrt=input" })
        {
            var answer = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            long size = (await answer.Content.ReadAsByteArrayAsync()).Length;
            Assert.True(size < 300_000, $"{path}: {size} bytes");
        }
        var edit = await client.PostAsync("/api/solution?answer=state", Json("""{"edits": [{"target": "3.weight", "index": [0, 0], "value": 0.5}]}"""));
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal(1, JsonSerializer.Deserialize<JsonElement>(await edit.Content.ReadAsStringAsync()).GetProperty("edits").GetInt32());

        // A large tensor is its shape, statistics and first rows and columns, in text and in LaTeX.
        var steps = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/steps")).GetProperty("steps").EnumerateArray().ToList();
        var backward = steps.Single(s => s.GetProperty("id").GetString() == "backward-3");
        Assert.Contains(backward.GetProperty("text").EnumerateArray(), l => l.GetString()!.StartsWith("dL/d(3.weight) = 300×2704, 811200 values (min ", StringComparison.Ordinal) && l.GetString()!.EndsWith(", ⋮]", StringComparison.Ordinal));
        Assert.Contains(backward.GetProperty("latex").EnumerateArray(), l => l.GetString()!.Contains("\\ddots \\end{bmatrix}}_{300 \\times 2704:"));
        var chain = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/chain?layer=3")).GetProperty("steps").EnumerateArray().Single();
        Assert.Equal(811200, chain.GetProperty("outer_products")[0].GetProperty("product").GetProperty("summary").GetProperty("count").GetInt32());
        Assert.Equal(300, chain.GetProperty("upstream").GetProperty("summary").GetProperty("count").GetInt32());
        var last = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/chain?layer=5")).GetProperty("steps").EnumerateArray().Single();
        Assert.Equal(10, last.GetProperty("upstream").GetProperty("values").GetArrayLength());
    }

    [Fact]
    public async Task A_refused_edit_changes_nothing_and_later_edits_apply_as_usual()
    {
        var (server, client) = await Start();
        await using var _ = server;
        // 1e308 is finite, but x·W overflows: the edit is refused and not applied.
        var infinite = await client.PostAsync("/api/solution", Json("""{"edits": [{"target": "x", "index": [0, 0], "value": 1e308}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, infinite.StatusCode);
        var state = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/state"));
        Assert.Equal(0, state.GetProperty("edits").GetInt32());
        Assert.Equal(Trace("--example", "seed003"), await client.GetStringAsync("/api/solution"));
        // Several edits are applied all or none.
        var mixed = await client.PostAsync("/api/solution", Json("""{"edits": [{"target": "2.weight", "index": [0, 1], "value": 1.5}, {"target": "x", "index": [0, 0], "value": 1e308}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, mixed.StatusCode);
        Assert.Equal(Trace("--example", "seed003"), await client.GetStringAsync("/api/solution"));
        var valid = await client.PostAsync("/api/solution?answer=state", Json("""{"edits": [{"target": "x", "index": [0, 0], "value": 2}]}"""));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(1, JsonSerializer.Deserialize<JsonElement>(await valid.Content.ReadAsStringAsync()).GetProperty("edits").GetInt32());
        Assert.Contains("\"x\": [[2, 0]]", await client.GetStringAsync("/api/solution"));
    }

    [Theory]
    [InlineData("/api/check?name=2.weight&index=0,0&eps=abc", "eps: expected a number, got 'abc'")]
    [InlineData("/api/check?name=2.weight&index=0,0&step=1e999", "step: expected a number")]
    [InlineData("/api/check?index=0,0", "name: give ?name=")]
    [InlineData("/api/check?name=2.weight&index=0,x", "index: 'x' is not a whole number")]
    [InlineData("/api/chain?example=abc", "example: expected a whole number, got 'abc'")]
    [InlineData("/api/chain?layer=9", "layer: expected 0 to 3, got 9")]
    [InlineData("/api/jacobian?layer=one", "layer: expected a whole number, got 'one'")]
    [InlineData("/api/jacobian?example=1.5", "example: expected a whole number")]
    [InlineData("/api/jacobian?max_entries=0", "max_entries: expected a whole number ≥ 1")]
    [InlineData("/api/jacobian?format=pdf", "format: expected json, markdown, text or csv")]
    [InlineData("/api/steps?layout=diagonal", "unknown layout 'diagonal'")]
    [InlineData("/api/export?format=pdf", "format: unknown format 'pdf'")]
    public async Task A_bad_query_gets_a_json_error_naming_the_parameter(string path, string message)
    {
        var (server, client) = await Start();
        await using var _ = server;
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_quiz_hides_the_gradient_everywhere_the_page_would_show_it_until_it_is_answered()
    {
        var (server, client) = await Start();
        await using var _ = server;
        var p = Problem.FromExample<double>("seed003");
        var report = GradientReport.Compute(p.Model.Clone(), p.Loss, p.Batch);
        var solution = WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
        var format = NumberFormat.Fixed(4);

        foreach (var (quantity, gradient) in new[] { ("2.weight", report.Grads.Single(g => g.Name == "2.weight").Grad), ("x", report.InputGrad) })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/quiz", Json($$"""{"hide": "{{quantity}}"}"""))).StatusCode);
            Assert.Equal(quantity, JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/state")).GetProperty("hidden").GetString());
            // The gradient's numbers, and for a weight the weights its update gives, appear in no step and no chain rule.
            var secret = gradient.Values.Select(format).ToList();
            if (quantity != "x") secret.AddRange(solution.Updates.Single(u => u.Name == quantity).After.Values.Select(format));
            string steps = await client.GetStringAsync("/api/steps") + await client.GetStringAsync("/api/steps?layout=sheet");
            string chains = await client.GetStringAsync("/api/chain");
            foreach (string number in secret.Select(n => n.TrimStart('-')).Distinct())
            {
                Assert.DoesNotContain(number, steps);
                Assert.DoesNotContain(number, chains);
            }
            Assert.Contains(WorkedSolutionWriter.HiddenText, steps);
            Assert.Contains(WorkedSolutionWriter.HiddenLatex.Replace("\\", "\\\\"), steps);
            Assert.Contains("\"hidden\":true", chains);
            // Finite differences say it is hidden; whatever else would show it is refused, saying why.
            var probe = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync($"/api/check?name={quantity}&index=0,1"));
            Assert.True(probe.GetProperty("hidden").GetBoolean());
            Assert.False(probe.TryGetProperty("analytic", out var _));
            string[] refusedPaths = quantity == "x"
                ? ["/api/jacobian?of=loss&wrt=input"]
                : [$"/api/jacobian?of=loss&wrt={quantity}", "/api/jacobian?of=loss&wrt=params"];
            foreach (string path in refusedPaths.Concat(["/api/export?format=json", "/api/export?format=markdown"]))
            {
                var refused = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.Contains("which the quiz hides", JsonSerializer.Deserialize<JsonElement>(await refused.Content.ReadAsStringAsync()).GetProperty("error").GetString());
            }
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/check?name=0.weight&index=0,1")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/jacobian?of=output&wrt=input")).StatusCode);

            // An answer ends the quiz: the gradient shows again.
            var verdict = await client.PostAsync("/api/quiz", Json($$"""{"quantity": "{{quantity}}", "index": [0, 1], "answer": 0}"""));
            Assert.Equal(HttpStatusCode.OK, verdict.StatusCode);
            Assert.Equal(JsonValueKind.Null, JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/state")).GetProperty("hidden").ValueKind);
            string shown = await client.GetStringAsync("/api/steps");
            Assert.DoesNotContain(WorkedSolutionWriter.HiddenText, shown);
            Assert.Contains(format(gradient.Values[1]), shown);
        }
        var unknown = await client.PostAsync("/api/quiz", Json("""{"hide": "9.weight"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("unknown quantity '9.weight'", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task While_the_quiz_hides_a_gradient_the_solution_routes_refuse_as_export_does_and_apply_no_edit()
    {
        var (server, client) = await Start();
        await using var _ = server;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/quiz", Json("""{"hide": "2.weight"}"""))).StatusCode);
        var edit = Json("""{"edits": [{"target": "x", "index": [0, 0], "value": 2}]}""");
        foreach (var refused in new[] { await client.GetAsync("/api/solution"), await client.GetAsync("/api/solution?layout=sheet"), await client.PostAsync("/api/solution", edit) })
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("which the quiz hides", JsonSerializer.Deserialize<JsonElement>(await refused.Content.ReadAsStringAsync()).GetProperty("error").GetString());
        }
        Assert.Equal(0, JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/state")).GetProperty("edits").GetInt32());
        // The page edits with answer=state, which shows no gradient.
        var state = await client.PostAsync("/api/solution?answer=state", Json("""{"edits": [{"target": "x", "index": [0, 0], "value": 2}]}"""));
        Assert.Equal(HttpStatusCode.OK, state.StatusCode);
        Assert.Equal(1, JsonSerializer.Deserialize<JsonElement>(await state.Content.ReadAsStringAsync()).GetProperty("edits").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/quiz", Json("""{"hide": null}"""))).StatusCode);
        Assert.Contains("\"x\": [[2, 0]]", await client.GetStringAsync("/api/solution"));
    }

    [Fact]
    public async Task A_hidden_bias_hides_the_upstream_gradient_it_sums_and_the_backward_pass_computed_from_it()
    {
        var (server, client) = await Start();
        await using var _ = server;
        var p = Problem.FromExample<double>("seed003");
        var solution = WorkedSolution.Solve(p.Model, p.Loss, p.Batch, p.LearningRate);
        var format = NumberFormat.Fixed(4);
        var bias = solution.Backward.Single(b => b.Index == 2).ParameterGrads.Single(g => g.Name == "2.bias").Grad;
        Assert.Equal("[[0.2932, -0.2932]]", NumberFormat.Nested(solution.Backward.Single(b => b.Index == 2).Upstream.Values, [1, 2], format)); // δ is the answer
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/quiz", Json("""{"hide": "2.bias"}"""))).StatusCode);

        // Neither the answer (to 4 digits or in full) nor the bias its update gives appears in any step or chain rule.
        var secret = bias.Values.Select(format).Concat(bias.Values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))
            .Concat(solution.Updates.Single(u => u.Name == "2.bias").After.Values.Select(format)).Select(n => n.TrimStart('-')).Distinct().ToList();
        string payloads = await client.GetStringAsync("/api/steps") + await client.GetStringAsync("/api/steps?layout=sheet");
        for (int example = 0; example < p.Batch.X.Shape[0]; example++)
            payloads += await client.GetStringAsync($"/api/chain?example={example}");
        foreach (string number in secret) Assert.DoesNotContain(number, payloads);
        var lines = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/steps")).GetProperty("steps").EnumerateArray()
            .SelectMany(step => step.GetProperty("text").EnumerateArray()).Select(l => l.GetString()).ToList();
        Assert.Contains("upstream dL/d(output) = " + WorkedSolutionWriter.HiddenText, lines);
        Assert.Contains("dL/d(2.weight) = " + WorkedSolutionWriter.HiddenText, lines); // δᵀh: for one example, δ_j = dL/dW_jk / h_k
        Assert.Contains("dL/d(0.bias) = " + WorkedSolutionWriter.HiddenText, lines); // computed from δ, so it would give δ back
        Assert.Contains("dL/dŷ = [[0.6267, -0.6267]]", lines); // what δ is worked from stays shown

        // Whatever else would show it says it is hidden or is refused.
        foreach (string name in new[] { "2.bias", "2.weight", "0.bias" })
            Assert.True(JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync($"/api/check?name={name}&index={(name.EndsWith("bias") ? "0" : "0,0")}")).GetProperty("hidden").GetBoolean());
        foreach (string path in new[] { "/api/solution", "/api/export?format=json", "/api/export?format=markdown", "/api/jacobian?of=loss&wrt=2.weight", "/api/jacobian?of=loss&wrt=params", "/api/jacobian?of=loss&wrt=input" })
            Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(path)).StatusCode);
        var verdict = await client.PostAsync("/api/quiz", Json("""{"quantity": "2.weight", "index": [0, 0], "answer": 0}"""));
        Assert.Equal(HttpStatusCode.BadRequest, verdict.StatusCode);
        Assert.Contains("would show dL/d(2.bias)", await verdict.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/jacobian?of=output&wrt=input")).StatusCode);

        // Answering it shows everything again.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/quiz", Json("""{"quantity": "2.bias", "index": [0], "answer": 0}"""))).StatusCode);
        Assert.Contains(format(bias.Values[0]), await client.GetStringAsync("/api/steps"));
    }

    [Fact]
    public async Task A_reset_with_a_refused_edit_keeps_the_earlier_edits()
    {
        var (server, client) = await Start();
        await using var _ = server;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/solution?answer=state", Json("""{"edits": [{"target": "2.weight", "index": [0, 1], "value": 1.5}]}"""))).StatusCode);
        string edited = await client.GetStringAsync("/api/solution");
        foreach (string bad in new[] { """{"target": "7.weight", "index": [0, 0], "value": 1}""", """{"target": "x", "index": [0, 0], "value": 1e308}""" })
        {
            var refused = await client.PostAsync("/api/solution", Json($$"""{"reset": true, "edits": [{{bad}}]}"""));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(1, JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync("/api/state")).GetProperty("edits").GetInt32());
            Assert.Equal(edited, await client.GetStringAsync("/api/solution"));
        }
        // A reset with edits that apply starts from the problem as given.
        var valid = await client.PostAsync("/api/solution?answer=state", Json("""{"reset": true, "edits": [{"target": "x", "index": [0, 0], "value": 2}]}"""));
        Assert.Equal(1, JsonSerializer.Deserialize<JsonElement>(await valid.Content.ReadAsStringAsync()).GetProperty("edits").GetInt32());
        string solution = await client.GetStringAsync("/api/solution");
        Assert.Contains("\"x\": [[2, 0]]", solution);
        Assert.Contains("[[2, 1.5], [3, 3]]", edited);
        Assert.DoesNotContain("[[2, 1.5], [3, 3]]", solution);
    }

    [Fact]
    public async Task Another_loopback_address_is_the_one_printed_and_served()
    {
        await using var server = await ExploreServer.StartAsync(new ExploreSession(Problem.FromExample<double>("seed003"), "seed003"), host: "127.0.0.2");
        Assert.Equal("127.0.0.2", server.Url.Host);
        using var client = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/state")).StatusCode);
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/state");
        rebound.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(rebound)).StatusCode);
    }

    [Fact]
    public async Task A_port_in_use_and_a_non_loopback_address_are_refused_in_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var e = await Assert.ThrowsAsync<BackpropException>(() => ExploreServer.StartAsync(new ExploreSession(Problem.FromExample<double>("seed003"), "seed003"), port));
        Assert.Contains($"port {port}", e.Message);
        Assert.Contains("in use", e.Message);

        var stderr = new StringWriter();
        Assert.Equal(2, Program.Run(["explore", "--example", "seed003", "--no-open", "--port", port.ToString()], new StringWriter(), stderr));
        Assert.Contains("in use", stderr.ToString());
        Assert.Single(stderr.ToString().Trim().Split('\n'));

        stderr = new StringWriter();
        Assert.Equal(2, Program.Run(["explore", "--example", "seed003", "--no-open", "--host", "0.0.0.0"], new StringWriter(), stderr));
        Assert.Contains("not a loopback address", stderr.ToString());
        Assert.Single(stderr.ToString().Trim().Split('\n'));
    }
}
