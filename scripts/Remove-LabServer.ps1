<#
.SYNOPSIS
    Stop one asd-lab server on Hyper-V and remove everything it had on the host.

.DESCRIPTION
    The Hyper-V counterpart of scripts/destroy-server.sh and scripts/destroy_server.py, with the same
    parameters. A clean shutdown is asked first (Stop-VM), then the VM is turned off after -Timeout
    seconds; the VM, its differencing disk, its seed ISO and its state directory are removed. The
    golden image and the candidate's virtual switch stay. Idempotent: a missing server is not an
    error ("nothing to do"). A VM that asd-lab did not make (no server.env) is never touched.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][ValidatePattern('^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$')][string]$Name,
    [string]$StateDir = $(if ($env:ASD_LAB_STATE) { $env:ASD_LAB_STATE } else { Join-Path $env:ProgramData 'asd-lab' }),
    [ValidateRange(0, 3600)][int]$Timeout = 30
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$Prog = 'Remove-LabServer.ps1'
$dir = Join-Path $StateDir "servers\$Name"
$vm = Get-VM -Name $Name -ErrorAction SilentlyContinue
if ($vm -and -not (Test-Path -LiteralPath (Join-Path $dir 'server.env'))) {
    Write-Error "${Prog}: error: VM '$Name' was not made by asd-lab: not removing it" -ErrorAction Continue; exit 1
}
$did = @()
if ($vm) {
    if ($vm.State -ne 'Off') {
        $job = Start-Job { param($n) Stop-VM -Name $n -Force } -ArgumentList $Name
        if (-not (Wait-Job $job -Timeout $Timeout)) { Stop-VM -Name $Name -TurnOff -Force }
        $did += 'stopped'
    }
    Remove-VM -Name $Name -Force
    $did += 'removed VM'
}
if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force; $did += "removed $dir" }
if ($did.Count -eq 0) { Write-Host "${Prog}: server '$Name' does not exist: nothing to do" }
else { Write-Host "${Prog}: server '$Name' destroyed ($($did -join '; '))" }
