using Lifeline.LocalNats;

namespace Lifeline.Tests.Shared;

/// <summary>
/// The benchmarks' stand-in for the tests' RequiredTool (which fails an xunit test): the shared
/// <c>NatsServerCluster</c> fixture, linked into this project, finds nats-server through it.
/// </summary>
internal static class RequiredTool
{
    public static string Find(string overrideVariable, string install, params string[] names)
    {
        var chosen = Environment.GetEnvironmentVariable(overrideVariable);
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            return chosen;
        }

        return ProgramLookup.OnPath(Environment.GetEnvironmentVariable("PATH"), names)
            ?? throw new InvalidOperationException($"{string.Join(" or ", names)} not found on PATH: run bash .ci/install ({install}), or set {overrideVariable}");
    }
}
