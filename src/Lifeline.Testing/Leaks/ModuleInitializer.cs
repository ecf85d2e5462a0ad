using System.Runtime.CompilerServices;

namespace Lifeline.Testing.Leaks;

internal static class ModuleInitializer
{
    /// <summary>
    /// Turns on the runtime's active-task registry as soon as this assembly loads: work started before it is
    /// invisible, and xunit loads the test framework (this assembly) before it runs any test.
    /// </summary>
#pragma warning disable CA2255 // A module initializer is the point: tracking must be on before any test code runs.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void EnableTracking() => LeakVerifier.Enable();
}
