package main
import (_ "github.com/spf13/viper"; _ "github.com/redis/go-redis/v9"; _ "github.com/tidwall/redcon")
func main(){}
