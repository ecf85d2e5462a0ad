namespace Lifeline.Benchmarks.Client;

internal static class Stats
{
    public static string Summarize(IReadOnlyList<double> millis)
    {
        var sorted = millis.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return $"n={sorted.Length,4}  p50={At(0.50),7:F2} ms  p99={At(0.99),7:F2} ms  max={sorted[^1],7:F2} ms";
    }
}
