<#
.SYNOPSIS
    Create (or start again) one asd-lab server on a Windows host with Hyper-V.

.DESCRIPTION
    The Hyper-V counterpart of scripts/create-server.sh (Linux) and scripts/create_server.py: the
    same parameters, the same server: hostname, static address, user asd-admin with passwordless
    sudo and the given SSH public key, SSH host keys of its own, waiting until SSH answers.

    Differences that Hyper-V imposes (see docs/local.md, "Windows and Hyper-V"):
    - Hyper-V cannot boot a kernel file directly, so the golden image is a bootable disk:
      <StateDir>\image\golden.vhdx, made from Debian's official "genericcloud" image of Debian 12
      (qemu-img convert -O vhdx debian-12-genericcloud-amd64.raw golden.vhdx). That image carries
      cloud-init, which applies the server's identity from a NoCloud seed (an ISO labelled CIDATA)
      where the Linux drivers use a seed disk read by the initramfs.
    - The server's disk is a differencing VHDX whose parent is golden.vhdx (the qcow2 backing file
      of the Linux vm driver).
    - Only the vm driver exists; -Accel accepts "auto" only (Hyper-V always uses the hardware).
    - -Network names a Hyper-V virtual switch, one internal switch per candidate, e.g.:
        New-VMSwitch -Name asd-1a2b3c-0 -SwitchType Internal
        New-NetIPAddress -InterfaceAlias 'vEthernet (asd-1a2b3c-0)' -IPAddress 10.98.0.1 -PrefixLength 24
      An internal switch is not bridged to a physical NIC: servers reach each other and the host,
      and nothing outside the host reaches them; candidates are on different switches.

    Idempotent: a running server is left as it is (and the script says so); a stopped one is
    started again. Every check runs before anything is created.

    This script cannot be run on asd-lab's Linux CI (no PowerShell, no Hyper-V); a test keeps its
    parameters identical to create-server.sh's options.

.EXAMPLE
    .\New-LabServer.ps1 -Name alice-app -Role app -Memory 768 -Cpus 1 -Network asd-1a2b3c-0 `
        -Address 10.98.0.11/24 -Gateway 10.98.0.1 -SshKey $HOME\.ssh\asd-lab.pub -Driver vm
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][ValidatePattern('^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$')][string]$Name,
    [Parameter(Mandatory = $true)][ValidatePattern('^[a-z][a-z0-9-]{0,31}$')][string]$Role,
    [Parameter(Mandatory = $true)][ValidateRange(128, 16384)][int]$Memory,
    [Parameter(Mandatory = $true)][ValidateRange(0.1, 16)][double]$Cpus,
    [Parameter(Mandatory = $true)][string]$Network,
    [Parameter(Mandatory = $true)][ValidatePattern('^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$')][string]$Address,
    [Parameter(Mandatory = $true)][ValidatePattern('^\d{1,3}(\.\d{1,3}){3}$')][string]$Gateway,
    [Parameter(Mandatory = $true)][string]$SshKey,
    [ValidateSet('container', 'vm')][string]$Driver = 'vm',
    [string]$StateDir = $(if ($env:ASD_LAB_STATE) { $env:ASD_LAB_STATE } else { Join-Path $env:ProgramData 'asd-lab' }),
    [ValidateSet('auto', 'kvm', 'tcg')][string]$Accel = 'auto',
    [ValidateRange(1, 3600)][int]$Timeout = 300,
    [string]$Cohort = '',
    [string]$Candidate = ''
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$Prog = 'New-LabServer.ps1'
function Fail([string]$Message) { Write-Error "${Prog}: error: $Message" -ErrorAction Continue; exit 1 }
function Info([string]$Message) { Write-Host "${Prog}: $Message" }

# --- arguments and host: every check before anything is created -----------------------------------
if ($Driver -ne 'vm') { Fail "-Driver container does not exist on Windows: use -Driver vm (Hyper-V)" }
if ($Accel -ne 'auto') { Fail "-Accel $Accel does not apply to Hyper-V, which always uses the hardware: use -Accel auto" }
$ip, $prefix = $Address.Split('/')
if ([int]$prefix -lt 8 -or [int]$prefix -gt 30) { Fail "-Address $Address must have a prefix length between 8 and 30" }
$null = [System.Net.IPAddress]::Parse($ip); $null = [System.Net.IPAddress]::Parse($Gateway)
if ($ip -eq $Gateway) { Fail "-Address and -Gateway are both $Gateway" }
if (-not (Test-Path -LiteralPath $SshKey -PathType Leaf)) { Fail "-SshKey '$SshKey' is not a readable file" }
$keyText = Get-Content -LiteralPath $SshKey -Raw
if ($keyText -match 'PRIVATE KEY') { Fail "-SshKey '$SshKey' is a PRIVATE key: give the public key (.pub)" }
if ($keyText -notmatch '(?m)^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+') {
    Fail "-SshKey '$SshKey' holds no OpenSSH public key line (such as 'ssh-ed25519 AAAA... comment')"
}
$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) { Fail 'must run as Administrator (Hyper-V)' }
if (-not (Get-Command New-VM -ErrorAction SilentlyContinue)) {
    Fail "the Hyper-V PowerShell module is missing: Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All"
}
if (-not (Get-VMSwitch -Name $Network -ErrorAction SilentlyContinue)) {
    Fail "virtual switch '$Network' does not exist: New-VMSwitch -Name $Network -SwitchType Internal, then give the host $Gateway/$prefix on 'vEthernet ($Network)'"
}
$golden = Join-Path $StateDir 'image\golden.vhdx'
if (-not (Test-Path -LiteralPath $golden)) { Fail "no golden image $golden: convert Debian 12's genericcloud image to VHDX there (see docs/local.md)" }

$dir = Join-Path $StateDir "servers\$Name"
$envFile = Join-Path $dir 'server.env'
$keySha = (Get-FileHash -LiteralPath $SshKey -Algorithm SHA256).Hash.ToLower()
$wanted = [ordered]@{
    NAME = $Name; ROLE = $Role; MEMORY_MIB = "$Memory"; CPUS = "$Cpus"; NETWORK = $Network; ADDRESS = $Address
    GATEWAY = $Gateway; SSH_KEY = (Resolve-Path -LiteralPath $SshKey).Path; SSH_KEY_SHA256 = $keySha; DRIVER = $Driver
    IMAGE = 'golden.vhdx'; VM_IMAGE = ''; COHORT = $Cohort; CANDIDATE = $Candidate; TAP = ''; MAC = ''
}

function Wait-Ssh([string]$Ip, [int]$Seconds) {
    $deadline = (Get-Date).AddSeconds($Seconds)
    while ((Get-Date) -lt $deadline) {
        try {
            $client = New-Object System.Net.Sockets.TcpClient
            $client.ReceiveTimeout = 2000
            $client.Connect($Ip, 22)
            $buf = New-Object byte[] 8
            $n = $client.GetStream().Read($buf, 0, 8)
            $client.Close()
            if ($n -ge 4 -and [Text.Encoding]::ASCII.GetString($buf, 0, 4) -eq 'SSH-') { return $true }
        } catch { Start-Sleep -Milliseconds 500 }
    }
    return $false
}

# --- an existing server -----------------------------------------------------------------------
$vm = Get-VM -Name $Name -ErrorAction SilentlyContinue
if ($vm -and (Test-Path -LiteralPath $envFile)) {
    $have = @{}
    Get-Content -LiteralPath $envFile | ForEach-Object { $k, $v = $_ -split '=', 2; $have[$k] = $v }
    foreach ($k in 'ROLE', 'MEMORY_MIB', 'CPUS', 'NETWORK', 'ADDRESS', 'GATEWAY', 'DRIVER', 'SSH_KEY_SHA256') {
        if ($have[$k] -ne $wanted[$k]) { Fail "server '$Name' exists with $k=$($have[$k]), not $($wanted[$k]): destroy it first (Remove-LabServer.ps1 -Name $Name)" }
    }
    if ($vm.State -eq 'Running') {
        Info "server '$Name' is already running (vm, $Address): nothing changed"
    } else {
        Info "server '$Name' exists but is stopped: starting it again"
        Start-VM -Name $Name
    }
    if (-not (Wait-Ssh $ip $Timeout)) { Fail "server '$Name' does not answer SSH on ${ip}:22" }
    exit 0
}
if ($vm) { Fail "a Hyper-V VM named '$Name' exists but was not made by asd-lab: nothing changed" }

# --- a new server -------------------------------------------------------------------------------
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$disk = Join-Path $dir 'disk.vhdx'
New-VHD -Path $disk -ParentPath $golden -Differencing | Out-Null

# NoCloud seed for cloud-init: identity, user asd-admin with the key and sudo, static address.
$keys = ($keyText -split "`r?`n" | Where-Object { $_ -match '^(ssh-|ecdsa-|sk-)' } | ForEach-Object { "      - $_" }) -join "`n"
$instanceId = [guid]::NewGuid().ToString()
$seed = @{
    'meta-data'      = "instance-id: $instanceId`nlocal-hostname: $Name`n"
    'user-data'      = @"
#cloud-config
hostname: $Name
ssh_pwauth: false
disable_root: true
users:
  - name: asd-admin
    gecos: asd-lab administrator (Ansible)
    shell: /bin/bash
    lock_passwd: true
    sudo: ALL=(ALL:ALL) NOPASSWD:ALL
    ssh_authorized_keys:
$keys
write_files:
  - path: /etc/asd-lab/server
    permissions: '0644'
    content: |
      NAME=$Name
      ROLE=$Role
      ADDRESS=$Address
      COHORT=$Cohort
      CANDIDATE=$Candidate
"@
    'network-config' = @"
version: 2
ethernets:
  lab:
    match: { name: "e*" }
    addresses: [ $Address ]
    routes: [ { to: default, via: $Gateway } ]
"@
}
$fsi = New-Object -ComObject IMAPI2FS.MsftFileSystemImage
$fsi.FileSystemsToCreate = 3 # ISO 9660 + Joliet
$fsi.VolumeName = 'CIDATA'
foreach ($file in $seed.Keys) {
    $stream = New-Object -ComObject ADODB.Stream
    $stream.Type = 2; $stream.Charset = 'utf-8'; $stream.Open()
    $stream.WriteText($seed[$file].Replace("`r`n", "`n"))
    $stream.Position = 0; $stream.Type = 1; $stream.Position = 3 # skip the UTF-8 byte order mark
    $fsi.Root.AddFile($file, $stream)
}
$image = $fsi.CreateResultImage().ImageStream
$iso = Join-Path $dir 'seed.iso'
$out = [System.IO.File]::OpenWrite($iso)
$buf = New-Object byte[] 2048
$read = New-Object int[] 1
while ($true) {
    $image.RemoteRead($buf, 2048, [ref]$read) | Out-Null
    if ($read[0] -eq 0) { break }
    $out.Write($buf, 0, $read[0])
}
$out.Close()

New-VM -Name $Name -Generation 2 -MemoryStartupBytes ([int64]$Memory * 1MB) -VHDPath $disk -SwitchName $Network -Path $dir | Out-Null
Set-VMFirmware -VMName $Name -EnableSecureBoot Off # Debian's cloud kernel + shim would need the UEFI CA template
Set-VMMemory -VMName $Name -DynamicMemoryEnabled $false
Set-VMProcessor -VMName $Name -Count ([math]::Ceiling($Cpus)) -Maximum ([int][math]::Round(100 * $Cpus / [math]::Ceiling($Cpus)))
Add-VMDvdDrive -VMName $Name -Path $iso
$lines = $wanted.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }
Set-Content -LiteralPath $envFile -Value $lines -Encoding ascii
Info "server '$Name' prepared (vm, Hyper-V, parent disk $golden)"

$started = Get-Date
Start-VM -Name $Name
Info "waiting for SSH on ${ip}:22 (at most $Timeout s)"
if (-not (Wait-Ssh $ip $Timeout)) {
    Fail "server '$Name' did not answer SSH on ${ip}:22 within $Timeout s; it is left running: destroy it with Remove-LabServer.ps1 -Name $Name"
}
Info "server '$Name' is running: $Address, ssh asd-admin@$ip ($([int]((Get-Date) - $started).TotalSeconds) s)"
