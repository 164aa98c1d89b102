using Backprop.Autodiff;

namespace Backprop.Tests.Autodiff;

/// <summary>The expression parser: what it computes, and where it says the text is wrong.</summary>
public class ExpressionParserTests
{
    private static readonly IReadOnlyList<KeyValuePair<string, double>> Xyz = ExpressionParser.ParseInputs("x=1,y=2,z=3");

    private static double Eval(string text) => ExpressionParser.Parse(text, Xyz).Output.Data;

    [Fact]
    public void Seed001_program_parses_into_its_graph()
    {
        var e = ExpressionParser.Parse("a = x*y + z; b = (x + x)*a; w = a*b", Xyz);
        Assert.Equal(["x", "y", "z"], e.Inputs.Select(v => v.Label));
        Assert.Equal(["a", "b", "w"], e.Variables.Select(v => v.Label));
        Assert.Equal("w", e.Output.Label);
        Assert.Equal([5.0, 10.0, 50.0], e.Variables.Select(v => v.Data));
        e.Output.Backward();
        Assert.Equal([90.0, 20.0, 20.0, 20.0, 5.0], e.Named.Select(v => v.Grad));
    }

    [Theory]
    [InlineData("w = x + y * z", 7)]
    [InlineData("w = (x + y) * z", 9)]
    [InlineData("w = z - y - x", 0)]
    [InlineData("w = z / y / x * 4", 6)]
    [InlineData("w = -y^2", -4)]
    [InlineData("w = (-y)^2", 4)]
    [InlineData("w = y^-1", 0.5)]
    [InlineData("w = y^(3)", 8)]
    [InlineData("w = --x", 1)]
    [InlineData("w = 1.5e1 - .5", 14.5)]
    [InlineData("w = exp(0) + log(1) + tanh(0) + relu(-z) + sigmoid(0)", 1.5)]
    [InlineData("a = x\nb = a + 1\n\nw = b * 2;", 4)]
    [InlineData("a = y; w = a", 2)]
    public void Computes_with_the_usual_precedence(string text, double expected) => Assert.Equal(expected, Eval(text), 15);

    [Fact]
    public void A_copy_under_a_new_name_passes_the_gradient_through()
    {
        var e = ExpressionParser.Parse("a = y; w = a", Xyz);
        Assert.Equal("=", e.Output.Op);
        e.Output.Backward();
        Assert.Equal(1, e.Inputs[1].Grad);
    }

    [Theory]
    [InlineData("a = x * )", "--expr: column 9: expected an operand, found ')'")]
    [InlineData("a = x*y + ", "--expr: column 11: expected an operand, found end of input")]
    [InlineData("w = x y", "--expr: column 7: expected an operator, ';' or a new line, found 'y'")]
    [InlineData("a = (x + 1", "--expr: column 11: expected ')' to close the '(' at column 5, found end of input")]
    [InlineData("a = exp x", "--expr: column 9: expected '(' after the function 'exp', found 'x'")]
    [InlineData("a = foo(x)", "--expr: column 5: unknown function 'foo' (the functions are exp, log, tanh, relu, sigmoid)")]
    [InlineData("a = x^y", "--expr: column 7: expected a constant exponent (a number) after '^', found 'y'")]
    [InlineData("a = x^2^3", "--expr: column 8: a power of a power is ambiguous: write (x^a)^b, or x^c with c = a·b")]
    [InlineData("3 = x", "--expr: column 1: expected a variable name to assign ('name = expression'), found '3'")]
    [InlineData("a x", "--expr: column 3: expected '=' after 'a', found 'x'")]
    [InlineData("a = x; a = 2", "--expr: column 8: 'a' is already assigned at column 1; use a new name")]
    [InlineData("x = 1", "--expr: column 1: 'x' is an input (given with --at) and cannot be assigned")]
    [InlineData("exp = 1", "--expr: column 1: 'exp' is a function and cannot be assigned")]
    [InlineData("a = x # 2", "--expr: column 7: unexpected character '#'")]
    [InlineData("  ", "--expr: column 3: expected a statement 'name = expression', found end of input")]
    [InlineData("a = x\nb = a * )", "--expr: line 2, column 9: expected an operand, found ')'")]
    [InlineData("a = x +\nb = 1", "--expr: line 1, column 8: expected an operand, found end of line")]
    [InlineData("a = q + 1", "--expr: column 5: unknown variable 'q': it is not given with --at and not assigned before")]
    [InlineData("a = b + 1; b = 2", "--expr: column 5: unknown variable 'b': it is not given with --at and not assigned before")]
    [InlineData("a = q + r*x + q", "--expr: unknown variables 'q' (column 5), 'r' (column 9): they are not given with --at and not assigned before")]
    public void Errors_name_the_column_and_what_was_expected(string text, string message)
    {
        var e = Assert.Throws<BackpropException>(() => ExpressionParser.Parse(text, Xyz, "--expr", "--at"));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("x=1,x=2", "--at: 'x' is given twice")]
    [InlineData("x", "--at: expected NAME=NUMBER, found 'x'")]
    [InlineData("x=", "--at: expected NAME=NUMBER, found 'x='")]
    [InlineData("1x=2", "--at: expected NAME=NUMBER, found '1x=2'")]
    [InlineData("x=abc", "--at: 'abc' is not a finite number (in 'x=abc')")]
    [InlineData("x=Infinity", "--at: 'Infinity' is not a finite number (in 'x=Infinity')")]
    [InlineData("tanh=1", "--at: 'tanh' is a function and cannot be an input")]
    public void Input_errors_name_the_input(string text, string message)
    {
        var e = Assert.Throws<BackpropException>(() => ExpressionParser.ParseInputs(text, "--at"));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Inputs_keep_their_order_and_accept_spaces_and_signs()
    {
        var inputs = ExpressionParser.ParseInputs(" b = -1.5 , a=2e-3 ");
        Assert.Equal(["b", "a"], inputs.Select(i => i.Key));
        Assert.Equal([-1.5, 0.002], inputs.Select(i => i.Value));
        Assert.Empty(ExpressionParser.ParseInputs(""));
    }

    /// <summary>
    /// Issue 15: 10,000 nested parentheses (or exp( calls, or minus signs) overflowed the recursive parser's stack and
    /// killed the process (exit 134). Nesting is limited to <see cref="ExpressionParser.MaxDepth"/> levels.
    /// </summary>
    [Theory]
    [InlineData("(", ")")]
    [InlineData("exp(", ")")]
    [InlineData("-", "")]
    [InlineData("relu(-(", "))")]
    public void Nesting_deeper_than_the_limit_is_refused_not_a_stack_overflow(string open, string close)
    {
        string Nest(int depth) => "w = " + string.Concat(Enumerable.Repeat(open, depth)) + "x" + string.Concat(Enumerable.Repeat(close, depth));
        int perRepeat = open.Count(c => c is '(' or '-');
        ExpressionParser.Parse(Nest(ExpressionParser.MaxDepth / perRepeat), Xyz); // at the limit: fine
        foreach (int depth in new[] { ExpressionParser.MaxDepth / perRepeat + 1, 10_000 })
        {
            var e = Assert.Throws<BackpropException>(() => ExpressionParser.Parse(Nest(depth), Xyz, "--expr"));
            Assert.StartsWith("--expr: column ", e.Message);
            Assert.Contains($"the expression nests deeper than {ExpressionParser.MaxDepth} levels", e.Message);
        }
    }
}
