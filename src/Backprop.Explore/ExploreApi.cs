using System.Globalization;
using System.Text.Json;
using Backprop.Autodiff;
using Backprop.Diagnostics;
using Backprop.Examples;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backprop.Explore;

/// <summary>
/// The page's routes. Every number comes from the library; the page does no arithmetic of its own.
/// <list type="bullet">
/// <item><c>GET /api/solution[?layout=sheet]</c>: exactly <c>trace --format json</c> of the current problem.</item>
/// <item><c>POST /api/solution</c> <c>{"edits": [{"target", "index", "value" | "text"}], "reset": false}</c>: applies the edits, answers the recomputed solution.</item>
/// <item><c>GET /api/steps[?layout]</c>: the stepper's steps, trace's text and LaTeX cut at its headings.</item>
/// <item><c>GET /api/chain[?example=k]</c>: the chain rule at each backward step.</item>
/// <item><c>GET /api/check?name=0.weight&amp;index=1,0[&amp;eps=0.001]</c>: finite differences of one entry.</item>
/// <item><c>POST /api/quiz</c> <c>{"quantity", "index", "answer"}</c>: the verdict.</item>
/// <item><c>GET /api/network.svg</c>, <c>GET /api/state</c>, <c>GET /api/export?format=json|markdown|cli</c>,
/// <c>GET /api/graph[?expr&amp;at]</c>, <c>GET /api/jacobian[?layer&amp;example&amp;of=output|loss&amp;wrt=input|params|NAME&amp;layout&amp;format]</c>
/// (as <c>backprop jacobian</c> computes it).</item>
/// </list>
/// A refused request is answered <c>{"error": "..."}</c> with status 400; the server keeps running.
/// </summary>
public static class ExploreApi
{
    /// <summary>Seed 001's expression, the computational graph shown unless the page asks for another.</summary>
    public const string DefaultExpression = "a = x*y + z; b = (x + x)*a; w = a*b", DefaultInputs = "x=1,y=2,z=3";

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Map(WebApplication app, ExploreSession session)
    {
        app.MapGet("/", () => Asset("index.html"));
        app.MapGet("/assets/{**path}", (string path) => Asset(path));
        app.MapGet("/favicon.ico", () => Results.NoContent());

        app.MapGet("/api/solution", (string? layout) => Guard(() => Json(session, layout)));
        app.MapPost("/api/solution", async (HttpRequest request) =>
        {
            var body = await ReadBody(request);
            return Guard(() =>
            {
                var (edits, reset) = ParseEdits(body);
                if (reset) session.Reset();
                if (edits.Count > 0) session.Apply(edits);
                return Json(session, request.Query["layout"]);
            });
        });
        app.MapGet("/api/steps", (string? layout) => Guard(() =>
            Results.Json(new { steps = SolutionSteps.Of(WorkedSolutionLayout.In(session.Solve(), layout ?? WorkedSolutionLayout.Torch)) }, Options)));
        app.MapGet("/api/state", () => Guard(() =>
        {
            var p = session.Current;
            return Results.Json(new
            {
                name = session.Name,
                loss = p.Loss.Name,
                learning_rate = p.LearningRate,
                mode = p.Model.Training ? "train" : "eval",
                batch = p.Batch.X.Shape[0],
                parameters = p.Model.NamedParameters.Select(q => new { name = q.Name, shape = q.Parameter.Value.Shape }),
                layers = p.Model.Layers.Select(l => l.Type),
                x = p.Batch.X.Shape,
                y = p.Batch.Y.Shape,
                edits = session.Edits.Count,
                expression = DefaultExpression,
                inputs = DefaultInputs,
            }, Options);
        }));
        app.MapGet("/api/network.svg", () => Guard(() => Results.Text(NetworkSvg.Write(session.Current.Model, session.Solve()), "image/svg+xml")));
        app.MapGet("/api/chain", (int? example) => Guard(() =>
        {
            var p = session.Current;
            var steps = ChainRule.Compute(p.Model, p.Loss, p.Batch, example ?? 0);
            return Results.Json(new
            {
                steps = steps.Select(s => new
                {
                    s.Index, s.Layer, s.Kind, s.Example, upstream = s.Upstream.Values, jacobian = s.Jacobian?.Values, jacobian_shape = s.Jacobian?.Shape,
                    downstream = s.Downstream.Values, outer_products = s.OuterProducts.Select(o => new { o.Name, product = o.Product.Values, shape = o.Product.Shape }), s.Latex,
                }),
            }, Options);
        }));
        app.MapGet("/api/check", (string? name, string? index, double? eps, double? step) => Guard(() =>
        {
            var p = session.Current;
            var probe = FiniteDifferenceProbe.Run(p.Model, p.Loss, p.Batch, name ?? throw new BackpropException("finite differences: give ?name=PARAMETER&index=i,j"),
                ParseIndex(index, "index"), step ?? GradientCheck.DefaultStep, eps ?? 1e-3);
            return Results.Json(probe, Options);
        }));
        app.MapPost("/api/quiz", async (HttpRequest request) =>
        {
            var body = await ReadBody(request);
            return Guard(() =>
            {
                using var doc = Parse(body);
                var root = doc.RootElement;
                string quantity = String(root, "quantity");
                var index = IndexOf(root, "index");
                double answer = Number(root, "answer");
                double tolerance = root.TryGetProperty("tolerance", out var t) ? Number(root, "tolerance") : QuizChecker.DefaultTolerance;
                _ = t;
                var p = session.Current;
                return Results.Json(QuizChecker.Check(p.Model, p.Loss, p.Batch, quantity, index, answer, tolerance), Options);
            });
        });
        app.MapGet("/api/export", (string? format, string? layout) => Guard(() =>
        {
            var solution = WorkedSolutionLayout.In(session.Solve(), layout ?? WorkedSolutionLayout.Torch);
            return format switch
            {
                "json" or null => Results.Text(WorkedSolutionWriter.Json(solution), "application/json"),
                "markdown" => Results.Text(WorkedSolutionWriter.Markdown(solution, 4), "text/markdown; charset=utf-8"),
                "cli" => Results.Json(ProblemFiles.Of(session.Current), Options),
                _ => throw new BackpropException($"export: unknown format '{format}'; expected json, markdown or cli"),
            };
        }));
        app.MapGet("/api/graph", (string? expr, string? at) => Guard(() =>
        {
            string text = expr ?? DefaultExpression, inputs = at ?? (expr is null ? DefaultInputs : "");
            var parsed = ExpressionParser.Parse(text, ExpressionParser.ParseInputs(inputs, "at"), "expr", "at");
            parsed.Output.Backward();
            var nodes = ComputationGraph.Nodes(parsed.Output);
            return Results.Json(new
            {
                expression = text,
                inputs,
                output = parsed.Output.Label,
                summary = ComputationGraph.Summary(parsed),
                nodes = nodes.Select(n => new
                {
                    n.Id, n.Label, n.Op, n.Value, n.Grad, n.Depth,
                    local = n.Local.Select(l => new { operand = l.Operand, derivative = l.Derivative }),
                    chain = n.Chain.Select(c => new { consumer = c.Consumer, consumer_grad = c.ConsumerGrad, local = c.Local, product = c.Product }),
                }),
                svg = GraphSvg.Write(nodes),
            }, Options);
        }));
        app.MapGet("/api/jacobian", (int? layer, int? example, string? of, string? wrt, string? layout, string? format) => Guard(() =>
        {
            var p = session.Current;
            var request = new JacobianRequest
            {
                Layer = layer,
                Example = example ?? 0,
                Of = of switch
                {
                    null or "output" => JacobianOf.Output,
                    "loss" => JacobianOf.Loss,
                    _ => throw new BackpropException($"jacobian: of: expected output or loss, got '{of}'"),
                },
                Wrt = wrt ?? JacobianRequest.Input,
                Layout = layout switch
                {
                    null or "torch" => JacobianLayout.Torch,
                    "sheet" => JacobianLayout.Sheet,
                    _ => throw new BackpropException($"jacobian: layout: expected torch or sheet, got '{layout}'"),
                },
            };
            var matrix = Jacobian.Compute(p.Model, p.Batch, request, p.Loss);
            return format switch
            {
                null or "json" => Results.Text(JacobianWriter.Write([matrix], "json"), "application/json"),
                "markdown" or "text" or "csv" => Results.Text(JacobianWriter.Write([matrix], format), "text/plain; charset=utf-8"),
                _ => throw new BackpropException($"jacobian: format: expected json, markdown, text or csv, got '{format}'"),
            };
        }));
        app.MapFallback((HttpContext c) => Results.Json(new { error = $"no such page: {c.Request.Method} {c.Request.Path}" }, statusCode: 404));
    }

    private static IResult Json(ExploreSession session, string? layout) =>
        Results.Text(WorkedSolutionWriter.Json(WorkedSolutionLayout.In(session.Solve(), layout ?? WorkedSolutionLayout.Torch)), "application/json");

    private static IResult Guard(Func<IResult> answer)
    {
        try
        {
            return answer();
        }
        catch (BackpropException e)
        {
            return Results.Json(new { error = e.Message }, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static async Task<string> ReadBody(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync();
    }

    private static JsonDocument Parse(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new BackpropException($"the request is not JSON: {e.Message}");
        }
    }

    /// <summary>Reads <c>{"edits": [...], "reset": bool}</c>, naming the first thing wrong.</summary>
    public static (IReadOnlyList<ProblemEdit> Edits, bool Reset) ParseEdits(string body)
    {
        using var doc = Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new BackpropException("expected a JSON object {\"edits\": [...]}");
        bool reset = root.TryGetProperty("reset", out var r) && r.ValueKind == JsonValueKind.True;
        var edits = new List<ProblemEdit>();
        if (root.TryGetProperty("edits", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array) throw new BackpropException("edits: expected an array");
            int k = 0;
            foreach (var e in list.EnumerateArray())
            {
                string where = $"edits[{k++}]";
                if (e.ValueKind != JsonValueKind.Object) throw new BackpropException($"{where}: expected an object {{\"target\", \"index\", \"value\"}}");
                string target = String(e, "target", where);
                int[] index = e.TryGetProperty("index", out _) ? IndexOf(e, "index", where) : [];
                double? value = e.TryGetProperty("value", out _) ? Number(e, "value", where) : null;
                string? text = e.TryGetProperty("text", out var t) ? t.ValueKind == JsonValueKind.String ? t.GetString() : throw new BackpropException($"{where}.text: expected a string") : null;
                edits.Add(new ProblemEdit(target, index, value, text));
            }
        }
        else if (!reset) throw new BackpropException("expected \"edits\": [...] or \"reset\": true");
        return (edits, reset);
    }

    private static string String(JsonElement e, string name, string where = "request")
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String) throw new BackpropException($"{where}.{name}: expected a string");
        return v.GetString()!;
    }

    private static double Number(JsonElement e, string name, string where = "request")
    {
        if (!e.TryGetProperty(name, out var v)) throw new BackpropException($"{where}.{name}: missing");
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        if (v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return d;
        throw new BackpropException($"{where}.{name}: expected a number, got {v.GetRawText()}");
    }

    private static int[] IndexOf(JsonElement e, string name, string where = "request")
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.Number || !i.TryGetInt32(out _)))
            throw new BackpropException($"{where}.{name}: expected an array of whole numbers such as [1, 0]");
        return v.EnumerateArray().Select(i => i.GetInt32()).ToArray();
    }

    private static int[] ParseIndex(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new BackpropException($"{name}: expected whole numbers separated by commas, such as 1,0");
        var parts = text.Split(',');
        var index = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out index[i]))
                throw new BackpropException($"{name}: '{parts[i]}' is not a whole number");
        return index;
    }

    private static IResult Asset(string path)
    {
        var stream = typeof(ExploreApi).Assembly.GetManifestResourceStream("assets/" + path);
        if (stream is null) return Results.Json(new { error = $"no such file: {path}" }, statusCode: 404);
        string type = Path.GetExtension(path) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".woff2" => "font/woff2",
            ".svg" => "image/svg+xml",
            _ => "text/plain; charset=utf-8",
        };
        return Results.Stream(stream, type);
    }

    /// <summary>The names of the page's files (embedded resources), for the tests and the packaging check.</summary>
    public static IReadOnlyList<string> Assets { get; } = typeof(ExploreApi).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("assets/", StringComparison.Ordinal)).Select(n => n["assets/".Length..]).Order(StringComparer.Ordinal).ToList();

}
