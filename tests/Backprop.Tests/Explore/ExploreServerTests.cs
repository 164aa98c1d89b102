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
    public async Task The_network_svg_has_stable_ids_and_a_summary_for_layers_too_large_to_draw()
    {
        var (server, client) = await Start();
        await using (server)
        {
            string svg = await client.GetStringAsync("/api/network.svg");
            foreach (string id in new[] { "unit-0-0", "unit-4-1", "layer-0", "edge-0-1-0", "edge-2-0-1", "edge-1-0-0" })
                Assert.Contains($"id=\"{id}\"", svg);
            Assert.Contains("data-target=\"0.weight\" data-index=\"0,1\"", svg);
        }
        // A convolution's output and a 300-unit layer are summaries (a heat-map), not 300 nodes and 60,000 edges.
        var spec = ModelFile.Parse("""{"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}, {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out": 300}, {"type": "relu"}, {"type": "linear", "out": 10}, {"type": "softmax"}]}""", "big");
        var model = ModelFile.Build<double>(spec, "big");
        var x = new double[784];
        for (int i = 0; i < x.Length; i++) x[i] = i % 7 / 7.0;
        var batch = new Batch<double>(Backprop.Tensors.Tensor<double>.FromDoubles(x, 1, 1, 28, 28), Backprop.Tensors.Tensor<double>.FromDoubles([3], 1));
        var session = new ExploreSession(new Problem<double>(model, LossFunctions.Create<double>("cross_entropy"), batch, 0.1), "big");
        await using var big = await ExploreServer.StartAsync(session);
        using var bigClient = new HttpClient { BaseAddress = big.Url };
        string bigSvg = await bigClient.GetStringAsync("/api/network.svg");
        Assert.Contains("id=\"summary-1\"", bigSvg);
        Assert.Contains("id=\"summary-4\"", bigSvg);
        Assert.Contains("id=\"unit-7-9\"", bigSvg);
        Assert.True(bigSvg.Length < 150_000, $"{bigSvg.Length} characters");
        Assert.Equal(HttpStatusCode.OK, (await bigClient.GetAsync("/api/steps")).StatusCode);
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
