using System.Globalization;

namespace Lifeline.Benchmarks;

/// <summary>The benchmark commands' shared option parsing: <c>--name value</c> pairs.</summary>
internal static class BenchArgs
{
    /// <summary>The integer after <paramref name="name"/> in <paramref name="args"/>, or <paramref name="fallback"/>.</summary>
    public static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
