using Lifeline.Testing.Xunit;

// Every test in this assembly runs under Lifeline's leak verifier for xunit.v3 (docs/leaks.md).
[assembly: VerifyNoLeaks]
