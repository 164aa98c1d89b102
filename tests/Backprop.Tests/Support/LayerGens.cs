using Backprop.Layers;
using Backprop.Tensors;
using CsCheck;

namespace Backprop.Tests.Support;

/// <summary>
/// Generators of random layers (shapes, hyper-parameters, parameter values, inputs and upstream weights), one per
/// layer type. Inputs stay at least <see cref="KinkGap"/> away from the points where a layer is not differentiable,
/// so that a central difference with step 1e-6 never straddles one.
/// </summary>
public static class LayerGens
{
    /// <summary>Closest an input may come to a kink (ReLU at 0, a max-pool tie, softplus's threshold).</summary>
    public const double KinkGap = 1e-3;

    public static readonly Gen<double> Value = Gen.Double[-2, 2];

    /// <summary>One example's shape for element-wise layers: rank 1 to 3, each dimension 1 to 4.</summary>
    public static readonly Gen<int[]> AnyShape = Gen.Int[1, 4].Array[1, 3];

    public static readonly IReadOnlyDictionary<string, Gen<LayerCase>> ByType = new Dictionary<string, Gen<LayerCase>>
    {
        [Linear.Definition.Name] = Cases(
            from inF in Gen.Int[1, 5]
            from outF in Gen.Int[1, 5]
            from bias in Gen.Bool
            select new LayerRecipe(new Linear(outF, bias), [inF])),

        [Conv1d.Definition.Name] = Cases(
            from c in Gen.Int[1, 3]
            from o in Gen.Int[1, 3]
            from k in Gen.Int[1, 4]
            from s in Gen.Int[1, 3]
            from p in Gen.Int[0, 2]
            from extra in Gen.Int[0, 5]
            from bias in Gen.Bool
            select new LayerRecipe(new Conv1d(o, k, s, p, bias), [c, Math.Max(1, k - 2 * p) + extra])),

        [Conv2d.Definition.Name] = Cases(
            from c in Gen.Int[1, 3]
            from o in Gen.Int[1, 3]
            from kh in Gen.Int[1, 3]
            from kw in Gen.Int[1, 3]
            from sh in Gen.Int[1, 3]
            from sw in Gen.Int[1, 3]
            from ph in Gen.Int[0, 2]
            from pw in Gen.Int[0, 2]
            from extraH in Gen.Int[0, 4]
            from extraW in Gen.Int[0, 4]
            from bias in Gen.Bool
            select new LayerRecipe(new Conv2d(o, (kh, kw), (sh, sw), (ph, pw), bias),
                [c, Math.Max(1, kh - 2 * ph) + extraH, Math.Max(1, kw - 2 * pw) + extraW])),

        [MaxPool2d.Definition.Name] = Cases(Pool((k, s) => new MaxPool2d(k, s)), (_, n) => Value.Array[n].Select(v => Values.Spread(v, KinkGap))),

        [AvgPool2d.Definition.Name] = Cases(Pool((k, s) => new AvgPool2d(k, s))),

        [Flatten.Definition.Name] = Cases(AnyShape.Select(s => new LayerRecipe(new Flatten(), s))),

        [ReLU.Definition.Name] = Cases(
            from shape in AnyShape
            from scale in Gen.Double[-3, 3]
            select new LayerRecipe(new ReLU(scale), shape),
            (_, n) => AwayFrom(0, Value).Array[n]),

        [LeakyReLU.Definition.Name] = Cases(
            from shape in AnyShape
            from slope in Gen.Double[-0.5, 1.5]
            select new LayerRecipe(new LeakyReLU(slope), shape),
            (_, n) => AwayFrom(0, Value).Array[n]),

        [Sigmoid.Definition.Name] = Cases(AnyShape.Select(s => new LayerRecipe(new Sigmoid(), s)), (_, n) => Gen.Double[-6, 6].Array[n]),

        [Tanh.Definition.Name] = Cases(AnyShape.Select(s => new LayerRecipe(new Tanh(), s)), (_, n) => Gen.Double[-4, 4].Array[n]),

        // β of either sign; x is drawn both near 0 and around the threshold x = threshold/β, so that cases mix the
        // log1p branch with the y = x branch above it.
        [Softplus.Definition.Name] = Cases(
            from shape in AnyShape
            from beta in Gen.OneOf(Gen.Double[0.5, 3], Gen.Double[-2, -0.5])
            from threshold in Gen.Double[1, 20]
            select new LayerRecipe(new Softplus(beta, threshold), shape),
            (recipe, n) => AwayFrom(Kink(recipe), Gen.OneOf(Value, Gen.Double[Kink(recipe) - 3, Kink(recipe) + 3])).Array[n]),

        [GELU.Definition.Name] = Cases(AnyShape.Select(s => new LayerRecipe(new GELU(), s)), (_, n) => Gen.Double[-5, 5].Array[n]),

        [Identity.Definition.Name] = Cases(AnyShape.Select(s => new LayerRecipe(new Identity(), s))),

        [Softmax.Definition.Name] = Cases(Gen.Int[1, 6].Select(f => new LayerRecipe(new Softmax(), [f])), (_, n) => Gen.Double[-3, 3].Array[n]),

        [BatchNorm1d.Definition.Name] = BatchNormCases(
            from rank in Gen.Int[1, 2]
            from c in Gen.Int[1, 4]
            from l in Gen.Int[1, 3]
            select rank == 1 ? new[] { c } : [c, l],
            (eps, momentum, affine, track) => new BatchNorm1d(eps, momentum, affine, track)),

        [BatchNorm2d.Definition.Name] = BatchNormCases(
            from c in Gen.Int[1, 3]
            from h in Gen.Int[1, 3]
            from w in Gen.Int[1, 3]
            select new[] { c, h, w },
            (eps, momentum, affine, track) => new BatchNorm2d(eps, momentum, affine, track)),

        // Training mode with a random mask (the checks restore the generator before each pass), or evaluation mode.
        [Dropout.Definition.Name] = Cases(
            from shape in AnyShape
            from p in Gen.OneOf(Gen.Double[0, 0.9], Gen.Const(0.0), Gen.Const(1.0))
            from training in Gen.Bool
            select new LayerRecipe(new Dropout(p), shape, training)),
    };

    /// <summary>
    /// Batch normalisations in both modes: training mode (batch statistics: the central differences move inputs that
    /// share a batch, so the coupling is checked) with at least two values per channel, and evaluation mode with random
    /// running statistics (variance in [0.2, 3]).
    /// </summary>
    private static Gen<LayerCase> BatchNormCases(Gen<int[]> shapes, Func<double, double?, bool, bool, BatchNorm> make) =>
        from shape in shapes
        from eps in Gen.OneOf(Gen.Const(1e-5), Gen.Double[1e-3, 0.5])
        from momentum in Gen.OneOf(Gen.Const((double?)0.1), Gen.Const((double?)null), Gen.Double[0, 1].Select(m => (double?)m))
        from affine in Gen.Bool
        from track in Gen.Bool
        from training in Gen.Bool
        from mean in Value.Array[shape[0]]
        from variance in Gen.Double[0.2, 3].Array[shape[0]]
        let spec = make(eps, momentum, affine, track) with
        {
            Values = track ? new Dictionary<string, (double[] Values, int[] Shape)> { ["running_mean"] = (mean, [shape[0]]), ["running_var"] = (variance, [shape[0]]) }
                : new Dictionary<string, (double[] Values, int[] Shape)>(),
        }
        let recipe = new LayerRecipe(spec, shape, training)
        from batch in Gen.Int[Tensor.SizeOf(shape) / shape[0] > 1 || !(training || !track) ? 1 : 2, 4]
        from x in Value.Array[batch * Tensor.SizeOf(shape)]
        from r in Value.Array[batch * Tensor.SizeOf(shape)]
        from p in ParameterValues(recipe)
        select new LayerCase(recipe, batch, x, r, p);

    /// <summary>Pooling windows that fit: kernel 1..3, stride 1..3 (overlapping or not), a few spare rows and columns.</summary>
    private static Gen<LayerRecipe> Pool(Func<(int H, int W), (int H, int W), LayerSpec> spec) =>
        from c in Gen.Int[1, 3]
        from kh in Gen.Int[1, 3]
        from kw in Gen.Int[1, 3]
        from sh in Gen.Int[1, 3]
        from sw in Gen.Int[1, 3]
        from extraH in Gen.Int[0, 4]
        from extraW in Gen.Int[0, 4]
        select new LayerRecipe(spec((kh, kw), (sh, sw)), [c, kh + extraH, kw + extraW]);

    /// <summary>Where softplus switches to y = x: βx = threshold.</summary>
    private static double Kink(LayerRecipe recipe) => recipe.Spec is Softplus s ? s.Threshold / s.Beta : 0;

    public static Gen<double> AwayFrom(double kink, Gen<double> values) => values.Where(v => Math.Abs(v - kink) > KinkGap);

    /// <summary>Random cases for the recipes: batch 1..3, inputs from <paramref name="inputs"/> (default uniform in [-2, 2]), parameters and r uniform in [-2, 2].</summary>
    public static Gen<LayerCase> Cases(Gen<LayerRecipe> recipes, Func<LayerRecipe, int, Gen<double[]>>? inputs = null) =>
        from recipe in recipes
        from batch in Gen.Int[1, 3]
        from x in (inputs ?? ((_, n) => Value.Array[n]))(recipe, batch * Tensor.SizeOf(recipe.InputShape))
        from r in Value.Array[batch * Tensor.SizeOf(recipe.OutputShape)]
        from p in ParameterValues(recipe)
        select new LayerCase(recipe, batch, x, r, p);

    private static Gen<double[][]> ParameterValues(LayerRecipe recipe)
    {
        int[] sizes = recipe.Create<double>().Parameters.Select(p => p.Value.Length).ToArray();
        return Value.Array[sizes.Sum()].Select(all => Values.Split(all, sizes));
    }
}
