using System.Globalization;

namespace Backprop.Autodiff;

/// <summary>
/// Reads little programs such as seed 001's <c>a = x*y + z; b = (x + x)*a; w = a*b</c> into a graph of
/// <see cref="Value"/>s, computing every value on the way (the forward pass).
/// <para>
/// Statements are <c>name = expression</c>, separated by ';' or new lines; the last name assigned is the output.
/// Expressions have + − * / with the usual precedence, ^ with a constant exponent (x^2, x^-1, x^(0.5)) binding
/// tighter than unary minus (−x^2 = −(x²)), parentheses, numbers, variables and the functions exp, log, tanh,
/// relu and sigmoid. A variable is an input or a name assigned in an earlier statement.
/// </para>
/// <para>
/// Errors are <see cref="BackpropException"/>s naming the place (1-based column, and the line when there are
/// several) and what was expected: <c>--expr: column 9: expected an operand, found ')'</c>.
/// </para>
/// </summary>
public static class ExpressionParser
{
    /// <summary>
    /// The deepest nesting of parentheses, function calls and unary minus signs accepted (as deep as the JSON readers
    /// allow). The parser is recursive descent: without a limit, 10,000 '(' overflow the stack and kill the process.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>The functions an expression may call.</summary>
    public static readonly IReadOnlyList<string> Functions = ["exp", "log", "tanh", "relu", "sigmoid"];

    /// <summary>
    /// Parses <paramref name="text"/> with the given inputs and computes every value.
    /// <paramref name="source"/> starts every error message (the option or file the text came from);
    /// <paramref name="inputsOption"/>, when given, is named in the message for an unknown variable.
    /// </summary>
    public static ParsedExpression Parse(string text, IReadOnlyList<KeyValuePair<string, double>> inputs,
        string source = "expression", string? inputsOption = null)
    {
        var parser = new Parser(text, source, inputsOption);
        return parser.Program(inputs);
    }

    /// <summary>
    /// Reads input values written as <c>x=1,y=2,z=3</c> (spaces allowed), in the order given.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, double>> ParseInputs(string text, string source = "inputs")
    {
        var inputs = new List<KeyValuePair<string, double>>();
        if (string.IsNullOrWhiteSpace(text)) return inputs;
        foreach (string item in text.Split(','))
        {
            int eq = item.IndexOf('=');
            string name = eq < 0 ? item.Trim() : item[..eq].Trim(), number = eq < 0 ? "" : item[(eq + 1)..].Trim();
            if (eq < 0 || !IsName(name) || number.Length == 0)
                throw new BackpropException($"{source}: expected NAME=NUMBER, found '{item.Trim()}'");
            if (Functions.Contains(name))
                throw new BackpropException($"{source}: '{name}' is a function and cannot be an input");
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                throw new BackpropException($"{source}: '{number}' is not a finite number (in '{item.Trim()}')");
            if (inputs.Any(i => i.Key == name))
                throw new BackpropException($"{source}: '{name}' is given twice");
            inputs.Add(new(name, value));
        }
        return inputs;
    }

    private static bool IsName(string s) =>
        s.Length > 0 && (char.IsAsciiLetter(s[0]) || s[0] == '_') && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private enum Kind { Number, Name, Symbol, Separator, End }

    private readonly record struct Token(Kind Kind, string Text, int Line, int Column, double Number = 0)
    {
        public bool Is(char symbol) => Kind == Kind.Symbol && Text[0] == symbol;

        public string Describe() => Kind switch
        {
            Kind.End => "end of input",
            Kind.Separator when Text == "\n" => "end of line",
            _ => $"'{Text}'",
        };
    }

    private sealed class Parser
    {
        private readonly string _source;
        private readonly string? _inputsOption;
        private readonly bool _multiline;
        private readonly List<Token> _tokens;
        private readonly Dictionary<string, Value> _variables = [];
        private readonly Dictionary<string, Token> _assignedAt = [];
        private readonly List<Token> _unknown = [];
        private int _next;
        private int _depth;


        public Parser(string text, string source, string? inputsOption)
        {
            _source = source;
            _inputsOption = inputsOption;
            _multiline = text.TrimEnd().Contains('\n');
            _tokens = Tokenize(text);
        }

        private Token Peek => _tokens[_next];

        private Token Take() => _tokens[_next++];

        private BackpropException Error(Token at, string message) => new($"{_source}: {Place(at)}: {message}");

        // "column 9", or "line 2, column 9" when the text has several lines.
        private string Place(Token at) => $"{(_multiline ? $"line {at.Line}, " : "")}column {at.Column}";

        private BackpropException Expected(string what) => Error(Peek, $"expected {what}, found {Peek.Describe()}");

        public ParsedExpression Program(IReadOnlyList<KeyValuePair<string, double>> inputs)
        {
            var inputValues = new List<Value>();
            foreach (var (name, data) in inputs)
            {
                var v = new Value(data, name);
                _variables.Add(name, v);
                inputValues.Add(v);
            }
            var assigned = new List<Value>();
            SkipSeparators();
            if (Peek.Kind == Kind.End) throw Expected("a statement 'name = expression'");
            while (Peek.Kind != Kind.End)
            {
                assigned.Add(Statement());
                if (Peek.Kind == Kind.Separator) SkipSeparators();
                else if (Peek.Kind != Kind.End) throw Expected("an operator, ';' or a new line");
            }
            if (_unknown.Count > 0)
            {
                string where = _inputsOption is null ? "an input" : $"given with {_inputsOption}";
                if (_unknown.Count == 1)
                    throw Error(_unknown[0], $"unknown variable '{_unknown[0].Text}': it is not {where} and not assigned before");
                throw new BackpropException($"{_source}: unknown variables "
                    + string.Join(", ", _unknown.Select(t => $"'{t.Text}' ({Place(t)})"))
                    + $": they are not {where} and not assigned before");
            }
            return new ParsedExpression(inputValues, assigned);
        }

        private void SkipSeparators()
        {
            while (Peek.Kind == Kind.Separator) _next++;
        }

        // statement := name '=' expr
        private Value Statement()
        {
            var name = Peek;
            if (name.Kind != Kind.Name) throw Expected("a variable name to assign ('name = expression')");
            if (Functions.Contains(name.Text)) throw Error(name, $"'{name.Text}' is a function and cannot be assigned");
            _next++;
            if (!Peek.Is('=')) throw Expected($"'=' after '{name.Text}'");
            _next++;
            if (_assignedAt.TryGetValue(name.Text, out var before))
                throw Error(name, $"'{name.Text}' is already assigned at {Place(before)}; use a new name");
            if (_variables.ContainsKey(name.Text))
                throw Error(name, $"'{name.Text}' is an input{(_inputsOption is null ? "" : $" (given with {_inputsOption})")} and cannot be assigned");
            var value = Expression();
            // A value that already has a name (w = a, w = x) gets a copy, so that each name is its own node.
            if (value.Label is null) value.Label = name.Text;
            else value = value.Copy(name.Text);
            _variables.Add(name.Text, value);
            _assignedAt.Add(name.Text, name);
            return value;
        }

        // expr := term (('+' | '-') term)*
        private Value Expression()
        {
            var left = Term();
            while (Peek.Is('+') || Peek.Is('-'))
            {
                bool plus = Take().Is('+');
                var right = Term();
                left = plus ? left + right : left - right;
            }
            return left;
        }

        // term := unary (('*' | '/') unary)*
        private Value Term()
        {
            var left = Unary();
            while (Peek.Is('*') || Peek.Is('/'))
            {
                bool times = Take().Is('*');
                var right = Unary();
                left = times ? left * right : left / right;
            }
            return left;
        }

        // unary := '-' unary | power
        private Value Unary()
        {
            if (!Peek.Is('-')) return Power();
            Enter(Take());
            var operand = Unary();
            _depth--;
            return -operand;
        }

        /// <summary>One level deeper at <paramref name="at"/> (a '(' or a '-'): refused past <see cref="MaxDepth"/>.</summary>
        private void Enter(Token at)
        {
            if (++_depth > MaxDepth)
                throw Error(at, $"the expression nests deeper than {MaxDepth} levels (parentheses, function calls and minus signs); split it into several assignments");
        }

        // power := primary ('^' exponent)?   exponent := '-'? number | '(' '-'? number ')'
        private Value Power()
        {
            var operand = Primary();
            if (!Peek.Is('^')) return operand;
            _next++;
            bool parenthesized = Peek.Is('(');
            var open = Peek;
            if (parenthesized) _next++;
            bool negative = Peek.Is('-');
            if (negative) _next++;
            if (Peek.Kind != Kind.Number) throw Expected("a constant exponent (a number) after '^'");
            double p = Take().Number;
            if (parenthesized)
            {
                if (!Peek.Is(')')) throw Expected($"')' to close the '(' at column {open.Column}");
                _next++;
            }
            if (Peek.Is('^')) throw Error(Peek, "a power of a power is ambiguous: write (x^a)^b, or x^c with c = a·b");
            return operand.Pow(negative ? -p : p);
        }

        // primary := number | name | function '(' expr ')' | '(' expr ')'
        private Value Primary()
        {
            var token = Peek;
            switch (token.Kind)
            {
                case Kind.Number:
                    _next++;
                    return new Value(token.Number);
                case Kind.Name when Functions.Contains(token.Text):
                    _next++;
                    if (!Peek.Is('(')) throw Expected($"'(' after the function '{token.Text}'");
                    var argument = Parenthesized();
                    return token.Text switch
                    {
                        "exp" => argument.Exp(),
                        "log" => argument.Log(),
                        "tanh" => argument.Tanh(),
                        "relu" => argument.Relu(),
                        _ => argument.Sigmoid(),
                    };
                case Kind.Name:
                    _next++;
                    if (Peek.Is('('))
                        throw Error(token, $"unknown function '{token.Text}' (the functions are {string.Join(", ", Functions)})");
                    if (_variables.TryGetValue(token.Text, out var variable)) return variable;
                    if (!_unknown.Any(u => u.Text == token.Text)) _unknown.Add(token);
                    return new Value(double.NaN, token.Text);
                case Kind.Symbol when token.Is('('):
                    return Parenthesized();
                default:
                    throw Expected("an operand");
            }
        }

        private Value Parenthesized()
        {
            var open = Take();
            Enter(open);
            var inner = Expression();
            if (!Peek.Is(')')) throw Expected($"')' to close the '(' at column {open.Column}");
            _next++;
            _depth--;
            return inner;
        }

        private List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            int line = 1, lineStart = 0, i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                int column = i - lineStart + 1;
                if (c == '\n')
                {
                    tokens.Add(new Token(Kind.Separator, "\n", line, column));
                    i++;
                    line++;
                    lineStart = i;
                }
                else if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == ';')
                {
                    tokens.Add(new Token(Kind.Separator, ";", line, column));
                    i++;
                }
                else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
                {
                    int start = i;
                    while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
                    if (i < text.Length && (text[i] is 'e' or 'E'))
                    {
                        int j = i + 1;
                        if (j < text.Length && (text[j] is '+' or '-')) j++;
                        if (j < text.Length && char.IsAsciiDigit(text[j]))
                        {
                            i = j;
                            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                        }
                    }
                    string number = text[start..i];
                    if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                        throw Error(new Token(Kind.Number, number, line, column), $"'{number}' is not a number");
                    tokens.Add(new Token(Kind.Number, number, line, column, value));
                }
                else if (char.IsAsciiLetter(c) || c == '_')
                {
                    int start = i;
                    while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                    tokens.Add(new Token(Kind.Name, text[start..i], line, column));
                }
                else if ("+-*/^()=".Contains(c))
                {
                    tokens.Add(new Token(Kind.Symbol, c.ToString(), line, column));
                    i++;
                }
                else
                {
                    throw Error(new Token(Kind.Symbol, c.ToString(), line, column), $"unexpected character '{c}'");
                }
            }
            tokens.Add(new Token(Kind.End, "", line, text.Length - lineStart + 1));
            return tokens;
        }
    }
}
