namespace Backprop.Learners;

/// <summary>
/// Small seeded data sets for the classical learners, all 2-D except <see cref="Line"/> (1-D). The same
/// <see cref="Rng"/> state gives the same examples, bit for bit, on every machine. Classes are assigned round-robin
/// (example i has class i mod C), so every class gets ⌊n/C⌋ or ⌈n/C⌉ examples and any prefix stays balanced.
/// Draw a test set by calling again with the same generator (it continues the stream).
/// </summary>
public static class SyntheticData
{
    /// <summary>The names <see cref="Generate"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["blobs", "xor", "circles", "spirals", "line"];

    /// <summary>
    /// One of the sets by name: blobs (<paramref name="classes"/> classes), xor, circles, spirals
    /// (<paramref name="classes"/> arms), line.
    /// </summary>
    public static LearnerData Generate(string name, int count, Rng rng, int classes = 2) => name switch
    {
        "blobs" => Blobs(count, classes, rng),
        "xor" => Xor(count, rng),
        "circles" => Circles(count, rng),
        "spirals" => Spirals(count, classes, rng),
        "line" => Line(count, rng),
        _ => throw new BackpropException($"unknown synthetic data set '{name}'; expected {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// C blobs, linearly separable with a margin: class c is uniform on the disc of radius 1 around the centre
    /// R·(cos 2πc/C, sin 2πc/C), R = max(2, 1.5 / sin(π/C)), so neighbouring discs are at least 1 apart. The centres
    /// have equal norms, so the classes are separable by w_c = centre_c even without biases.
    /// </summary>
    public static LearnerData Blobs(int count, int classes, Rng rng)
    {
        CheckCount(count);
        if (classes < 2 || classes > 64) throw new BackpropException($"blobs: expected 2 to 64 classes, got {classes}");
        ArgumentNullException.ThrowIfNull(rng);
        double radius = Math.Max(2, 1.5 / Math.Sin(Math.PI / classes));
        var x = new double[2 * count];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % classes;
            double angle = 2 * Math.PI * c / classes;
            var (dx, dy) = InDisc(rng);
            x[2 * i] = radius * Math.Cos(angle) + dx;
            x[2 * i + 1] = radius * Math.Sin(angle) + dy;
            labels[i] = c;
        }
        return new LearnerData(x, 2, labels, classes);
    }

    /// <summary>
    /// XOR: each coordinate uniform in ±[0.1, 1] (a gap of 0.2 around both axes), class 1 where the signs differ
    /// (x₁x₂ &lt; 0), class 0 where they agree. No line separates it; x₁x₂ does (a degree-2 polynomial kernel).
    /// </summary>
    public static LearnerData Xor(int count, Rng rng)
    {
        CheckCount(count);
        ArgumentNullException.ThrowIfNull(rng);
        var x = new double[2 * count];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 2;
            double sign1 = rng.NextDouble() < 0.5 ? -1 : 1;
            double sign2 = c == 1 ? -sign1 : sign1;
            x[2 * i] = sign1 * rng.Uniform(0.1, 1);
            x[2 * i + 1] = sign2 * rng.Uniform(0.1, 1);
            labels[i] = c;
        }
        return new LearnerData(x, 2, labels, 2);
    }

    /// <summary>
    /// Two concentric circles: class 0 at radius 1, class 1 at radius 2, each with the radius perturbed uniformly by
    /// ±0.2 and a uniform angle. No line separates them; x₁² + x₂² does (a degree-2 polynomial kernel).
    /// </summary>
    public static LearnerData Circles(int count, Rng rng)
    {
        CheckCount(count);
        ArgumentNullException.ThrowIfNull(rng);
        var x = new double[2 * count];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 2;
            double r = (c == 0 ? 1 : 2) + rng.Uniform(-0.2, 0.2);
            double angle = rng.Uniform(0, 2 * Math.PI);
            x[2 * i] = r * Math.Cos(angle);
            x[2 * i + 1] = r * Math.Sin(angle);
            labels[i] = c;
        }
        return new LearnerData(x, 2, labels, 2);
    }

    /// <summary>
    /// C interleaved spiral arms (default 2): arm c is r = 0.5 + 2.5t, θ = 2πc/C + 3πt for t uniform in [0, 1]
    /// (one and a half turns), each coordinate then moved uniformly by ±0.1. Along a ray the arms are about 1.67/C
    /// apart, so an RBF kernel with a large enough γ separates them; a polynomial one of low degree does not.
    /// </summary>
    public static LearnerData Spirals(int count, int classes, Rng rng)
    {
        CheckCount(count);
        if (classes < 2 || classes > 8) throw new BackpropException($"spirals: expected 2 to 8 arms (classes), got {classes}");
        ArgumentNullException.ThrowIfNull(rng);
        var x = new double[2 * count];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % classes;
            double t = rng.NextDouble();
            double r = 0.5 + 2.5 * t, angle = 2 * Math.PI * c / classes + 3 * Math.PI * t;
            x[2 * i] = r * Math.Cos(angle) + rng.Uniform(-0.1, 0.1);
            x[2 * i + 1] = r * Math.Sin(angle) + rng.Uniform(-0.1, 0.1);
            labels[i] = c;
        }
        return new LearnerData(x, 2, labels, classes);
    }

    /// <summary>
    /// A noisy regression line: x uniform in [−2, 2], y = <paramref name="slope"/>·x + <paramref name="intercept"/> + ε,
    /// ε ~ N(0, <paramref name="noise"/>²). A regression set (real targets), for <see cref="Adaline"/>.
    /// </summary>
    public static LearnerData Line(int count, Rng rng, double slope = 2, double intercept = -1, double noise = 0.5)
    {
        CheckCount(count);
        ArgumentNullException.ThrowIfNull(rng);
        var x = new double[count];
        var y = new double[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = rng.Uniform(-2, 2);
            y[i] = slope * x[i] + intercept + noise * rng.Normal();
        }
        return LearnerData.Regression(x, 1, y);
    }

    /// <summary>Uniform on the unit disc: radius √U, angle 2πV.</summary>
    private static (double X, double Y) InDisc(Rng rng)
    {
        double r = Math.Sqrt(rng.NextDouble()), angle = 2 * Math.PI * rng.NextDouble();
        return (r * Math.Cos(angle), r * Math.Sin(angle));
    }

    private static void CheckCount(int count)
    {
        if (count < 1 || count > 10_000_000) throw new BackpropException($"synthetic data: expected 1 to 10000000 examples, got {count}");
    }
}
