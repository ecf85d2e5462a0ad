namespace Lifeline.Testing.Leaks;

/// <summary>
/// The process-wide off switch, <c>LIFELINE_LEAKS=off</c>: for measuring what the verifier costs (the same suite on
/// and off) or for a run that must not pay for it. Off means nothing is checked and the runtime's task registry stays
/// off; it is never silent: the first scope or test run of the process says so, once, on standard error and through
/// the test framework's diagnostics.
/// </summary>
/// <remarks>Read once, when this assembly loads (its module initializer turns the registry on unless the switch is off). Thread-safe.</remarks>
internal static class LeakSwitch
{
    /// <summary>The environment variable: <c>off</c>, <c>0</c> or <c>false</c> turn the verifier off; anything else, or unset, leaves it on.</summary>
    public const string Variable = "LIFELINE_LEAKS";

    private static int s_announced;

    /// <summary>Whether the verifier is off for this process.</summary>
    public static bool IsOff { get; } = IsOffValue(Environment.GetEnvironmentVariable(Variable));

    /// <summary>The one line that says so.</summary>
    public static string OffMessage => $"Lifeline leak verifier: OFF ({Variable}={Environment.GetEnvironmentVariable(Variable)}): "
        + "no test of this run is checked for leaks, and the runtime's task registry is off. Unset it to verify.";

    /// <summary>Whether a value of the variable turns the verifier off. Only an explicit off does: a typo leaves it on, never silently unchecked.</summary>
    public static bool IsOffValue(string? value) =>
        value?.Trim().ToUpperInvariant() is "OFF" or "0" or "FALSE";

    /// <summary>Writes <paramref name="line"/> (the off message) to standard error, where every runner shows it whatever its diagnostics settings, once per process.</summary>
    public static void WriteOnceToStandardError(string line)
    {
        if (Interlocked.Exchange(ref s_announced, 1) == 0)
        {
            Console.Error.WriteLine(line);
        }
    }
}
