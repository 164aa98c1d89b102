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
/// <item><c>GET /api/solution[?layout=sheet]</c>: exactly <c>trace --format json</c> of the current problem, for
/// programs and tests (the page exports through <c>/api/export</c>).</item>
/// <item><c>POST /api/solution[?answer=state]</c> <c>{"edits": [{"target", "index", "value" | "text"}], "reset": false}</c>:
/// applies the edits, all or none, and answers the recomputed solution (or, with <c>answer=state</c>, what
/// <c>GET /api/state</c> answers: the page's choice, which stays small for a large model).</item>
/// <item><c>GET /api/steps[?layout]</c>: the stepper's steps, trace's text and LaTeX cut at its headings, tensors of
/// more than <see cref="MaxEntriesShown"/> values as previews and the quiz's gradient hidden.</item>
/// <item><c>GET /api/chain[?example=k&amp;layer=i]</c>: the chain rule at each backward step (or layer i's), shown the same way.</item>
/// <item><c>GET /api/check?name=0.weight&amp;index=1,0[&amp;eps=0.001&amp;step=h]</c>: finite differences of one entry.</item>
/// <item><c>POST /api/quiz</c> <c>{"hide": "2.weight" | "x" | null}</c> hides a gradient everywhere the page shows it;
/// <c>{"quantity", "index", "answer"}</c> answers the verdict and shows it again.</item>
/// <item><c>GET /api/network.svg</c>, <c>GET /api/state</c>, <c>GET /api/export?format=json|markdown|cli</c>,
/// <c>GET /api/graph[?expr&amp;at]</c>, <c>GET /api/jacobian[?layer&amp;example&amp;of=output|loss&amp;wrt=input|params|NAME&amp;layout&amp;format&amp;max_entries]</c>
/// (as <c>backprop jacobian</c> computes it).</item>
/// </list>
/// A refused request is answered <c>{"error": "..."}</c> with status 400, naming the parameter; the server keeps
/// running. While the quiz hides a gradient (and, for a bias, what shows it: see <see cref="WorkedSolutionView"/>), the
/// finite differences of it answer <c>{"hidden": true, "message"}</c>, and a request whose answer would show it (the
/// solution's JSON or Markdown from <c>/api/solution</c> or <c>/api/export</c>, a Jacobian of the loss with respect to
/// it, a verdict on another quantity) is refused, saying so.
/// </summary>
public static class ExploreApi
{
    /// <summary>Seed 001's expression, the computational graph shown unless the page asks for another.</summary>
    public const string DefaultExpression = "a = x*y + z; b = (x + x)*a; w = a*b", DefaultInputs = "x=1,y=2,z=3";

    /// <summary>
    /// The most values of one tensor the page's steps and chain rule show in full; a larger one is a preview. KaTeX
    /// typesets a matrix of this size at once, and a model of a million weights answers in kilobytes.
    /// </summary>
    public const int MaxEntriesShown = 256;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

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
                string? answer = request.Query["answer"];
                if (answer is not (null or "solution" or "state")) throw new BackpropException($"answer: expected solution or state, got '{answer}'");
                string? layout = request.Query["layout"];
                if (layout is not null) WorkedSolutionLayout.Check(layout); // refused before any edit is applied
                if (answer != "state") RefuseWhatTheQuizHides(session.View(MaxEntriesShown), session.Hidden, "the solution's JSON"); // as is an answer the quiz refuses
                var (edits, reset) = ParseEdits(body);
                session.Apply(edits, reset);
                return answer == "state" ? State(session) : Json(session, layout);
            });
        });
        app.MapGet("/api/steps", (string? layout) => Guard(() =>
            Results.Json(new { steps = SolutionSteps.Of(WorkedSolutionLayout.In(session.Solve(), layout ?? WorkedSolutionLayout.Torch), session.View(MaxEntriesShown)) }, Options)));
        app.MapGet("/api/state", () => Guard(() => State(session)));
        app.MapGet("/api/network.svg", () => Guard(() => Results.Text(NetworkSvg.Write(session.Current.Model, session.Solve()), "image/svg+xml")));
        app.MapGet("/api/chain", (string? example, string? layer) => Guard(() =>
        {
            var p = session.Current;
            var view = session.View(MaxEntriesShown);
            int? only = Whole(layer, "layer");
            if (only is int i && (i < 0 || i >= p.Model.Layers.Count)) throw new BackpropException($"layer: expected 0 to {p.Model.Layers.Count - 1}, got {i}");
            var steps = ChainRule.Compute(p.Model, p.Loss, p.Batch, Whole(example, "example") ?? 0, view: view).Where(s => only is null || s.Index == only);
            return Results.Json(new
            {
                steps = steps.Select(s => new
                {
                    s.Index, s.Layer, s.Kind, s.Example,
                    upstream = Shown(s.Upstream, view, hidden: view.HidesGradientOf(s.Index + 1)), jacobian = s.Jacobian is null ? null : Shown(s.Jacobian, view),
                    downstream = Shown(s.Downstream, view, hidden: view.HidesGradientOf(s.Index)),
                    outer_products = s.OuterProducts.Select(o => new { o.Name, product = Shown(o.Product, view, hidden: view.Hides(o.Name)) }),
                    s.Latex,
                }),
            }, Options);
        }));
        app.MapGet("/api/check", (string? name, string? index, string? eps, string? step) => Guard(() =>
        {
            var p = session.Current;
            if (name is null) throw new BackpropException("name: give ?name=PARAMETER&index=i,j (a parameter's name, or x)");
            int[] at = ParseIndex(index, "index");
            double h = Number(step, "step") ?? GradientCheck.DefaultStep, epsilon = Number(eps, "eps") ?? 1e-3;
            // Every number of the probe is the gradient or near it: while the quiz hides it, the panel says so instead.
            var view = session.View(MaxEntriesShown);
            if (view.Hides(name))
                return Results.Json(new { name, index = at, hidden = true, message = $"{WhatTheQuizHides(view, name)}: answer the quiz first" }, Options);
            return Results.Json(FiniteDifferenceProbe.Run(p.Model, p.Loss, p.Batch, name, at, h, epsilon), Options);
        }));
        app.MapPost("/api/quiz", async (HttpRequest request) =>
        {
            var body = await ReadBody(request);
            return Guard(() =>
            {
                using var doc = Parse(body);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new BackpropException("expected a JSON object {\"hide\": NAME} or {\"quantity\", \"index\", \"answer\"}");
                if (root.TryGetProperty("hide", out var hide))
                {
                    session.Hide(hide.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => hide.GetString(),
                        _ => throw new BackpropException("request.hide: expected a parameter's name, x, or null"),
                    });
                    return Results.Json(new { hidden = session.Hidden }, Options);
                }
                string quantity = String(root, "quantity");
                var index = IndexOf(root, "index");
                double answer = Number(root, "answer");
                double tolerance = root.TryGetProperty("tolerance", out _) ? Number(root, "tolerance") : QuizChecker.DefaultTolerance;
                var p = session.Current;
                // The verdict names the expected value: of another quantity, it could show the one the quiz hides.
                if (session.Hidden != quantity) RefuseWhatTheQuizHides(session.View(MaxEntriesShown), quantity, "the verdict");
                var verdict = QuizChecker.Check(p.Model, p.Loss, p.Batch, quantity, index, answer, tolerance);
                // The verdict names the expected value: the quiz is over, and the page shows the gradient again.
                if (session.Hidden == quantity) session.Hide(null);
                return Results.Json(verdict, Options);
            });
        });
        app.MapGet("/api/export", (string? format, string? layout) => Guard(() =>
        {
            return format switch
            {
                "json" or null => Json(session, layout),
                "markdown" => Markdown(session, layout),
                "cli" => Results.Json(ProblemFiles.Of(session.Current), Options),
                _ => throw new BackpropException($"format: unknown format '{format}'; expected json, markdown or cli"),
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
        app.MapGet("/api/jacobian", (string? layer, string? example, string? of, string? wrt, string? layout, string? format, string? max_entries) => Guard(() =>
        {
            var p = session.Current;
            var request = new JacobianRequest
            {
                Layer = Whole(layer, "layer"),
                Example = Whole(example, "example") ?? 0,
                Of = of switch
                {
                    null or "output" => JacobianOf.Output,
                    "loss" => JacobianOf.Loss,
                    _ => throw new BackpropException($"of: expected output or loss, got '{of}'"),
                },
                Wrt = wrt ?? JacobianRequest.Input,
                // the same names and refusal as the solution's layout on every other route
                Layout = WorkedSolutionLayout.Check(layout ?? WorkedSolutionLayout.Torch) == WorkedSolutionLayout.Sheet ? JacobianLayout.Sheet : JacobianLayout.Torch,
            };
            int maxEntries = Whole(max_entries, "max_entries") ?? int.MaxValue;
            if (maxEntries < 1) throw new BackpropException($"max_entries: expected a whole number ≥ 1, got {maxEntries}");
            if (format is not (null or "json" or "markdown" or "text" or "csv")) throw new BackpropException($"format: expected json, markdown, text or csv, got '{format}'");
            var view = session.View(MaxEntriesShown);
            if (view.Hidden is string hidden && LossGradientIn(request, view))
                RefuseWhatTheQuizHides(view, request.Wrt == JacobianRequest.Params ? hidden : request.Wrt == JacobianRequest.Input ? WorkedSolutionView.Input : request.Wrt,
                    $"the Jacobian of the loss with respect to {request.Wrt}");
            var matrix = Jacobian.Compute(p.Model, p.Batch, request, p.Loss);
            return format is null or "json"
                ? Results.Text(JacobianWriter.Write([matrix], "json"), "application/json")
                : Results.Text(JacobianWriter.Write([matrix], format, maxEntries: maxEntries), "text/plain; charset=utf-8");
        }));
        app.MapFallback((HttpContext c) => Results.Json(new { error = $"no such page: {c.Request.Method} {c.Request.Path}" }, statusCode: 404));
    }

    private static IResult State(ExploreSession session)
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
            hidden = session.Hidden,
            max_entries_shown = MaxEntriesShown,
            expression = DefaultExpression,
            inputs = DefaultInputs,
        }, Options);
    }

    // A tensor as the page is shown it: its values, a summary when the view elides it, or nothing when the quiz hides it.
    private static object Shown(TensorValue v, WorkedSolutionView view, bool hidden = false)
    {
        if (hidden) return new { shape = v.Shape, hidden = true };
        if (!view.Elides(v)) return new { shape = v.Shape, values = v.Values };
        var (min, mean, max) = v.Statistics();
        return new { shape = v.Shape, summary = new { count = v.Values.Length, min, mean, max } };
    }

    // Whether the Jacobian of the loss holds a hidden gradient (for one example): with respect to a hidden parameter, to
    // every parameter while one is hidden, or to the input x while it is. (The library takes the loss's Jacobian of the
    // whole model only.)
    private static bool LossGradientIn(JacobianRequest r, WorkedSolutionView view) =>
        r.Of == JacobianOf.Loss && (r.Wrt == JacobianRequest.Input ? view.Hides(WorkedSolutionView.Input)
            : r.Wrt == JacobianRequest.Params ? view.Hidden is not (null or WorkedSolutionView.Input) : view.Hides(r.Wrt));

    // "dL/d(2.bias), which the quiz hides", or for what hides with it "dL/d(2.weight), which would show dL/d(2.bias) that the quiz hides".
    private static string WhatTheQuizHides(WorkedSolutionView view, string quantity) =>
        quantity == view.Hidden ? $"dL/d({quantity}), which the quiz hides" : $"dL/d({quantity}), which would show dL/d({view.Hidden}) that the quiz hides";

    // One check for every answer that would show a hidden gradient: the solution's JSON or Markdown, a Jacobian, a verdict.
    private static void RefuseWhatTheQuizHides(WorkedSolutionView view, string? quantity, string what)
    {
        if (quantity is not null && view.Hides(quantity))
            throw new BackpropException($"{what} would show {WhatTheQuizHides(view, quantity)}: answer the quiz first");
    }

    // The solution as trace --format json writes it, refused while the quiz hides any of it.
    private static IResult Json(ExploreSession session, string? layout) =>
        Results.Text(WorkedSolutionWriter.Json(Unhidden(session, layout, "the solution's JSON")), "application/json");

    // The solution as trace --format markdown writes it, refused while the quiz hides any of it.
    private static IResult Markdown(ExploreSession session, string? layout) =>
        Results.Text(WorkedSolutionWriter.Markdown(Unhidden(session, layout, "the solution's Markdown"), 4), "text/markdown; charset=utf-8");

    // The whole solution, every gradient in it: refused while the quiz hides one.
    private static WorkedSolution Unhidden(ExploreSession session, string? layout, string what)
    {
        var view = session.View(MaxEntriesShown);
        RefuseWhatTheQuizHides(view, view.Hidden, what);
        return WorkedSolutionLayout.In(session.Solve(), layout ?? WorkedSolutionLayout.Torch);
    }

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
                if (e.TryGetProperty("value", out _) && e.TryGetProperty("text", out _))
                    throw new BackpropException($"{where}: give \"value\" (a number) or \"text\" (the mode's train or eval), not both");
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

    // A query parameter that is a whole number, or null when absent; anything else is refused naming the parameter.
    private static int? Whole(string? text, string name) =>
        text is null ? null
        : int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
        : throw new BackpropException($"{name}: expected a whole number, got '{text}'");

    // A query parameter that is a finite number, or null when absent; anything else is refused naming the parameter.
    private static double? Number(string? text, string name) =>
        text is null ? null
        : double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v
        : throw new BackpropException($"{name}: expected a number, got '{text}'");

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
