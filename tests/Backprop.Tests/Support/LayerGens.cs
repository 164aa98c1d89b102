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
        ["linear"] = Cases(
            from inF in Gen.Int[1, 5]
            from outF in Gen.Int[1, 5]
            from bias in Gen.Bool
            select new LayerRecipe("linear", [inF], Out: outF, Bias: bias)),

        ["conv1d"] = Cases(
            from c in Gen.Int[1, 3]
            from o in Gen.Int[1, 3]
            from k in Gen.Int[1, 4]
            from s in Gen.Int[1, 3]
            from p in Gen.Int[0, 2]
            from extra in Gen.Int[0, 5]
            from bias in Gen.Bool
            select new LayerRecipe("conv1d", [c, Math.Max(1, k - 2 * p) + extra], Out: o, Kernel: (1, k), Stride: (1, s), Padding: (0, p), Bias: bias)),

        ["conv2d"] = Cases(
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
            select new LayerRecipe("conv2d", [c, Math.Max(1, kh - 2 * ph) + extraH, Math.Max(1, kw - 2 * pw) + extraW],
                Out: o, Kernel: (kh, kw), Stride: (sh, sw), Padding: (ph, pw), Bias: bias)),

        ["maxpool2d"] = Cases(Pool("maxpool2d"), (_, n) => Value.Array[n].Select(v => Values.Spread(v, KinkGap))),

        ["avgpool2d"] = Cases(Pool("avgpool2d")),

        ["flatten"] = Cases(AnyShape.Select(s => new LayerRecipe("flatten", s))),

        ["relu"] = Cases(
            from shape in AnyShape
            from scale in Gen.Double[-3, 3]
            select new LayerRecipe("relu", shape, A: scale),
            (_, n) => AwayFrom(0, Value).Array[n]),

        ["leaky_relu"] = Cases(
            from shape in AnyShape
            from slope in Gen.Double[-0.5, 1.5]
            select new LayerRecipe("leaky_relu", shape, A: slope),
            (_, n) => AwayFrom(0, Value).Array[n]),

        ["sigmoid"] = Cases(AnyShape.Select(s => new LayerRecipe("sigmoid", s)), (_, n) => Gen.Double[-6, 6].Array[n]),

        ["tanh"] = Cases(AnyShape.Select(s => new LayerRecipe("tanh", s)), (_, n) => Gen.Double[-4, 4].Array[n]),

        // β of either sign; x is drawn both near 0 and around the threshold x = threshold/β, so that cases mix the
        // log1p branch with the y = x branch above it.
        ["softplus"] = Cases(
            from shape in AnyShape
            from beta in Gen.OneOf(Gen.Double[0.5, 3], Gen.Double[-2, -0.5])
            from threshold in Gen.Double[1, 20]
            select new LayerRecipe("softplus", shape, A: beta, B: threshold),
            (recipe, n) => AwayFrom(recipe.B / recipe.A, Gen.OneOf(Value, Gen.Double[recipe.B / recipe.A - 3, recipe.B / recipe.A + 3])).Array[n]),

        ["gelu"] = Cases(AnyShape.Select(s => new LayerRecipe("gelu", s)), (_, n) => Gen.Double[-5, 5].Array[n]),

        ["identity"] = Cases(AnyShape.Select(s => new LayerRecipe("identity", s))),

        ["softmax"] = Cases(Gen.Int[1, 6].Select(f => new LayerRecipe("softmax", [f])), (_, n) => Gen.Double[-3, 3].Array[n]),
    };

    /// <summary>Pooling windows that fit: kernel 1..3, stride 1..3 (overlapping or not), a few spare rows and columns.</summary>
    private static Gen<LayerRecipe> Pool(string type) =>
        from c in Gen.Int[1, 3]
        from kh in Gen.Int[1, 3]
        from kw in Gen.Int[1, 3]
        from sh in Gen.Int[1, 3]
        from sw in Gen.Int[1, 3]
        from extraH in Gen.Int[0, 4]
        from extraW in Gen.Int[0, 4]
        select new LayerRecipe(type, [c, kh + extraH, kw + extraW], Kernel: (kh, kw), Stride: (sh, sw));

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
