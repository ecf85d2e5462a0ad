using System.Net;
using System.Text.RegularExpressions;
using Lifeline.Hub.Dashboard;
using Lifeline.Testing.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifeline.Cli.Tests.Dashboard;

/// <summary>Issue 5 point 8: the dashboard's assets are embedded in the hub assembly and nothing comes from another origin.</summary>
public class DashboardAssetTests
{
    [Fact]
    public async Task Page_AndAssets_ServedFromTheAssembly_NoOtherOrigin()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapLifelineDashboard();
        await app.StartAsync().OrTimeout(TimeSpan.FromSeconds(30));
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var http = new HttpClient { BaseAddress = new Uri(address) };

            using var page = await http.GetAsync(new Uri("/", UriKind.Relative)).OrTimeout();
            var html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
            Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());

            var references = Regex.Matches(html, "(?:src|href)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(["dashboard/dashboard.css", "dashboard/dashboard.js"], references);
            // The page's script is an ES module: every module it imports (transitively) is served, and none names another host.
            var pending = new Queue<string>(references);
            var seen = new HashSet<string>(references, StringComparer.Ordinal);
            while (pending.TryDequeue(out var reference))
            {
                using var asset = await http.GetAsync(new Uri("/" + reference, UriKind.Relative)).OrTimeout();
                Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
                var text = await asset.Content.ReadAsStringAsync();
                Assert.DoesNotMatch("(?:https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/", text); // no absolute URL of another host
                foreach (Match import in Regex.Matches(text, @"^import .* from '\./([a-z]+\.js)';$", RegexOptions.Multiline))
                {
                    if (seen.Add("dashboard/" + import.Groups[1].Value))
                    {
                        pending.Enqueue("dashboard/" + import.Groups[1].Value);
                    }
                }
            }

            Assert.Equal(9, seen.Count); // the stylesheet, dashboard.js and the seven modules it imports

            using var missing = await http.GetAsync(new Uri("/dashboard/nope.js", UriKind.Relative)).OrTimeout();
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        finally
        {
            await app.StopAsync().OrTimeout(TimeSpan.FromSeconds(30));
        }
    }
}
