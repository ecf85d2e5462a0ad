#if LIFELINE_BENCH
using System.Diagnostics.CodeAnalysis;

// The load runner is benchmark code compiled in from bench/ (where wall-clock delays are the point): this project's
// library rules (injected TimeProvider) do not apply to it.
[assembly: SuppressMessage("ApiDesign", "RS0030:Do not use banned APIs", Scope = "namespaceanddescendants", Target = "~N:Lifeline.Benchmarks.Hub.Load", Justification = "Benchmark code from bench/.")]
#endif
