; myco.com: the corporate zone the stub tests forward to.
$ORIGIN myco.com.
$TTL 300
@         IN SOA  ns1.myco.com. hostmaster.myco.com. 1 7200 1800 86400 60
@         IN NS   ns1.myco.com.
ns1       IN A    10.1.0.53
database  IN A    10.1.0.10
; short lives for a second: the serve_stale tests let it expire.
short   1 IN A    10.1.0.11
; big has 60 addresses: about 1 KB, more than a 512-byte UDP reply holds.
big       IN A    10.1.1.1
big       IN A    10.1.1.2
big       IN A    10.1.1.3
big       IN A    10.1.1.4
big       IN A    10.1.1.5
big       IN A    10.1.1.6
big       IN A    10.1.1.7
big       IN A    10.1.1.8
big       IN A    10.1.1.9
big       IN A    10.1.1.10
big       IN A    10.1.1.11
big       IN A    10.1.1.12
big       IN A    10.1.1.13
big       IN A    10.1.1.14
big       IN A    10.1.1.15
big       IN A    10.1.1.16
big       IN A    10.1.1.17
big       IN A    10.1.1.18
big       IN A    10.1.1.19
big       IN A    10.1.1.20
big       IN A    10.1.1.21
big       IN A    10.1.1.22
big       IN A    10.1.1.23
big       IN A    10.1.1.24
big       IN A    10.1.1.25
big       IN A    10.1.1.26
big       IN A    10.1.1.27
big       IN A    10.1.1.28
big       IN A    10.1.1.29
big       IN A    10.1.1.30
big       IN A    10.1.1.31
big       IN A    10.1.1.32
big       IN A    10.1.1.33
big       IN A    10.1.1.34
big       IN A    10.1.1.35
big       IN A    10.1.1.36
big       IN A    10.1.1.37
big       IN A    10.1.1.38
big       IN A    10.1.1.39
big       IN A    10.1.1.40
big       IN A    10.1.1.41
big       IN A    10.1.1.42
big       IN A    10.1.1.43
big       IN A    10.1.1.44
big       IN A    10.1.1.45
big       IN A    10.1.1.46
big       IN A    10.1.1.47
big       IN A    10.1.1.48
big       IN A    10.1.1.49
big       IN A    10.1.1.50
big       IN A    10.1.1.51
big       IN A    10.1.1.52
big       IN A    10.1.1.53
big       IN A    10.1.1.54
big       IN A    10.1.1.55
big       IN A    10.1.1.56
big       IN A    10.1.1.57
big       IN A    10.1.1.58
big       IN A    10.1.1.59
big       IN A    10.1.1.60
