using Backprop.Autodiff;

namespace Backprop.Tests.Autodiff;

/// <summary>The scalar autodiff against derivatives worked out by hand and against central differences.</summary>
public class ValueTests
{
    private static void Close(double expected, double actual, double tolerance = 1e-14, string what = "") =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)),
            $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void Seed001_graph_gradients_match_the_chain_rule_by_hand()
    {
        // Seed 001, 1.5(b): a = x·y + z, b = (x + x)·a, w = a·b, at x = 1, y = 2, z = 3.
        var x = new Value(1, "x");
        var y = new Value(2, "y");
        var z = new Value(3, "z");
        var a = x * y + z;
        var b = (x + x) * a;
        var w = a * b;
        w.Backward();

        // By hand: a = 5, b = 2x·a = 10, w = a·b = 2x·a² = 50.
        // dw/da (total) = b + a·∂b/∂a = b + a·2x = 20;  dw/db = a = 5.
        // w = 2x·a², ∂a/∂x = y, ∂a/∂y = x, ∂a/∂z = 1:
        // dw/dx = 2a² + 2x·2a·y = 50 + 40 = 90;  dw/dy = 2x·2a·x = 20;  dw/dz = 2x·2a = 20.
        Assert.Equal(5, a.Data);
        Assert.Equal(10, b.Data);
        Assert.Equal(50, w.Data);
        Assert.Equal(2 * a.Data * a.Data + 2 * x.Data * 2 * a.Data * y.Data, x.Grad);
        Assert.Equal(90, x.Grad);
        Assert.Equal(20, y.Grad);
        Assert.Equal(20, z.Grad);
        Assert.Equal(20, a.Grad);
        Assert.Equal(5, b.Grad);
        Assert.Equal(1, w.Grad);
    }

    [Fact]
    public void A_value_used_twice_gets_both_shares()
    {
        var x = new Value(3, "x");
        var s = x + x;
        Assert.Equal([x, x], s.Operands);
        s.Backward();
        Assert.Equal(2, x.Grad);

        var q = new Value(3, "q");
        var square = q * q;
        square.Backward();
        Assert.Equal(6, q.Grad);
    }

    [Fact]
    public void Backward_accumulates_and_ZeroGrad_clears()
    {
        var x = new Value(2, "x");
        var y = x * x * x;
        y.Backward();
        Assert.Equal(12, x.Grad);
        y.Backward();
        Assert.Equal(24, x.Grad);
        y.ZeroGrad();
        Assert.Equal(0, x.Grad);
        y.Backward();
        Assert.Equal(12, x.Grad);
    }

    public static TheoryData<string, double> OperatorPoints => new()
    {
        { "exp", 0.7 }, { "log", 2.5 }, { "tanh", -0.4 }, { "relu", 1.3 }, { "relu", -1.3 }, { "sigmoid", 0.9 },
        { "neg", 1.7 }, { "pow3", -1.2 }, { "pow-0.5", 2.0 }, { "div", 1.5 }, { "sub", 0.25 },
    };

    [Theory]
    [MemberData(nameof(OperatorPoints))]
    public void Each_operator_has_its_closed_form_derivative(string op, double at)
    {
        var a = new Value(at, "a");
        var (c, value, derivative) = op switch
        {
            "exp" => (a.Exp(), Math.Exp(at), Math.Exp(at)),
            "log" => (a.Log(), Math.Log(at), 1 / at),
            "tanh" => (a.Tanh(), Math.Tanh(at), 1 - Math.Tanh(at) * Math.Tanh(at)),
            "relu" => (a.Relu(), Math.Max(0, at), at > 0 ? 1.0 : 0.0),
            "sigmoid" => (a.Sigmoid(), 1 / (1 + Math.Exp(-at)), Math.Exp(-at) / Math.Pow(1 + Math.Exp(-at), 2)),
            "neg" => (-a, -at, -1.0),
            "pow3" => (a.Pow(3), at * at * at, 3 * at * at),
            "pow-0.5" => (a.Pow(-0.5), 1 / Math.Sqrt(at), -0.5 * Math.Pow(at, -1.5)),
            "div" => (3.0 / a, 3 / at, -3 / (at * at)),
            _ => (5.0 - a, 5 - at, -1.0),
        };
        c.Backward();
        Close(value, c.Data, what: $"{op}({at})");
        Close(derivative, a.Grad, what: $"{op}'({at})");
    }

    [Fact]
    public void Relu_derivative_at_the_kink_is_zero_as_in_the_layer()
    {
        var a = new Value(0, "a");
        a.Relu().Backward();
        Assert.Equal(0, a.Grad);
    }

    // A random expression of x, y, z built only from pieces that stay finite and smooth on [-2, 2]:
    // denominators are kept ≥ 1, logs take arguments ≥ 1, powers with fractional exponents take positive bases.
    private delegate Value Expression(Value[] inputs);

    private static Expression RandomExpression(Rng rng, int depth)
    {
        if (depth == 0 || rng.NextDouble() < 0.15)
        {
            int k = rng.NextInt(4);
            if (k < 3) return v => v[k];
            double c = Math.Round(rng.Uniform(-2, 2), 2);
            return _ => c;
        }
        var a = RandomExpression(rng, depth - 1);
        var b = RandomExpression(rng, depth - 1);
        return rng.NextInt(13) switch
        {
            0 => v => a(v) + b(v),
            1 => v => a(v) - b(v),
            2 => v => a(v) * b(v).Tanh(),
            3 => v => a(v) / (b(v).Pow(2) + 1),
            4 => v => -a(v),
            5 => v => a(v).Tanh(),
            6 => v => a(v).Sigmoid() * b(v).Sigmoid(),
            7 => v => a(v).Tanh().Exp(),
            8 => v => (a(v).Pow(2) + 1).Log(),
            9 => v => a(v).Tanh().Pow(3),
            10 => v => (a(v).Sigmoid() + 0.5).Pow(-1.5),
            11 => v => a(v) / (2 + b(v).Tanh()),
            // One node used twice: its gradient must collect both shares.
            _ => v => { var u = a(v).Tanh(); return u * u - u; },
        };
    }

    [Fact]
    public void Random_expressions_match_central_differences()
    {
        var rng = new Rng(2025);
        const double h = 1e-5;
        for (int trial = 0; trial < 300; trial++)
        {
            var f = RandomExpression(rng, depth: 5);
            double[] at = [rng.Uniform(-2, 2), rng.Uniform(-2, 2), rng.Uniform(-2, 2)];
            Value[] inputs = [new(at[0], "x"), new(at[1], "y"), new(at[2], "z")];
            var output = f(inputs);
            output.Backward();
            for (int i = 0; i < 3; i++)
            {
                double[] plus = (double[])at.Clone(), minus = (double[])at.Clone();
                plus[i] += h;
                minus[i] -= h;
                double Eval(double[] p) => f([new(p[0]), new(p[1]), new(p[2])]).Data;
                double numeric = (Eval(plus) - Eval(minus)) / (2 * h);
                Assert.True(Math.Abs(numeric - inputs[i].Grad) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                    $"trial {trial}, d/d{"xyz"[i]} at ({string.Join(", ", at)}): autodiff {inputs[i].Grad:R}, central difference {numeric:R}");
            }
        }
    }

    [Fact]
    public void Topological_order_puts_operands_first_and_lists_each_value_once()
    {
        var x = new Value(1, "x");
        var y = new Value(2, "y");
        var a = x * y + x;
        var order = a.Topological().ToList();
        Assert.Equal(4, order.Count); // x, y, x*y, (x*y)+x
        Assert.Same(a, order[^1]);
        for (int i = 0; i < order.Count; i++)
            foreach (var operand in order[i].Operands)
                Assert.True(order.IndexOf(operand) < i);
    }

    [Fact]
    public void Deep_chains_do_not_overflow_the_stack()
    {
        var x = new Value(0.5, "x");
        var v = x;
        for (int i = 0; i < 100_000; i++) v = v + 0.0;
        v.Backward();
        Assert.Equal(1, x.Grad);
    }
}
