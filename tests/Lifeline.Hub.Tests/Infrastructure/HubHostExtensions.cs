using System.Text.Json;
using Lifeline.Hub.Core;
using Lifeline.Testing.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace Lifeline.Hub.Tests.Infrastructure;

internal static class HubHostExtensions
{
    public static LogHub Core(this HubHost host) => host.Services.GetRequiredService<LogHub>();

    /// <summary>Waits (event-driven, no polling) until the hub has exactly <paramref name="count"/> open WebSockets.</summary>
    public static async Task WaitForConnectionsAsync(this HubHost host, int count)
    {
        var registry = host.Services.GetRequiredService<ConnectionRegistry>();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (registry.Count == count)
            {
                reached.TrySetResult();
            }
        }

        registry.Changed += Check;
        try
        {
            Check();
            await reached.Task.OrTimeout(TimeSpan.FromSeconds(30));
        }
        finally
        {
            registry.Changed -= Check;
        }
    }

    public static async Task<JsonElement> StatsAsync(this HubHost host)
    {
        using var doc = JsonDocument.Parse(await host.Http.GetStringAsync("v1/stats").OrTimeout(TimeSpan.FromSeconds(30)));
        return doc.RootElement.Clone();
    }
}
